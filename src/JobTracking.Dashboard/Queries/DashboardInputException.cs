namespace JobTracking.Dashboard.Queries;

/// <summary>A request parameter the dashboard cannot use; the message names it and says what is expected. Answered with 400.</summary>
internal sealed class DashboardInputException(string message) : Exception(message);
