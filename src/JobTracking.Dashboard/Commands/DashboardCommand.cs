namespace JobTracking.Dashboard.Commands;

/// <summary>The commands the dashboard offers on one job.</summary>
internal enum DashboardCommand
{
    Pause = 0,
    Resume = 1,
    Cancel = 2,
    Restart = 3,
}
