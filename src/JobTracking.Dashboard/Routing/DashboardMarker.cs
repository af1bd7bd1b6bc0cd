namespace JobTracking.Dashboard.Routing;

/// <summary>Registered by <c>AddJobTrackingDashboard</c>, so that mapping the dashboard without it fails with a message saying so.</summary>
internal sealed class DashboardMarker;
