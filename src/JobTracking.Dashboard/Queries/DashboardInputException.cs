using JobTracking.Dashboard.Pages;

namespace JobTracking.Dashboard.Queries;

/// <summary>
/// A request parameter the dashboard cannot use; the message names it and says what is expected. Answered with 400:
/// in English to the JSON API, in the reader's language on a page.
/// </summary>
internal sealed class DashboardInputException : Exception
{
    public DashboardInputException(LocalText text)
        : base(text.ToString()) => Text = text;

    /// <summary>For what only the JSON API answers: English.</summary>
    public DashboardInputException(string message)
        : base(message) => Text = null;

    public LocalText? Text { get; }
}
