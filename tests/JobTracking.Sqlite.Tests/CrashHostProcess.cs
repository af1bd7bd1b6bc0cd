using System.Globalization;

namespace JobTracking.Sqlite.Tests;

/// <summary>The crash host (tests/JobTracking.Sqlite.CrashHost) running as a child process.</summary>
public sealed class CrashHostProcess : IDisposable
{
    private readonly ChildHostProcess _host;

    private CrashHostProcess(ChildHostProcess host) => _host = host;

    public static string HostPath { get; } = ChildHostProcess.PathOf(typeof(CrashHostProcess).Assembly, "CrashHostPath");

    public string Output => _host.Output;

    public string Error => _host.Error;

    public bool HasExited => _host.HasExited;

    public int ExitCode => _host.ExitCode;

    /// <summary>Starts <c>dotnet CrashHost.dll database side jobs [--hold]</c>.</summary>
    public static CrashHostProcess Start(string database, string side, int jobs, bool hold = false) =>
        new(ChildHostProcess.Start(HostPath, [database, side, jobs.ToString(CultureInfo.InvariantCulture), .. hold ? ["--hold"] : Array.Empty<string>()]));

    /// <summary>Starts <c>dotnet CrashHost.dll database side jobs --flood callers</c>: one-step jobs started from that many concurrent callers.</summary>
    /// <param name="keys">When above 0, each start carries one of that many idempotency keys, in turn.</param>
    public static CrashHostProcess StartFlood(string database, string side, int jobs, int callers, int keys = 0) =>
        new(ChildHostProcess.Start(
            HostPath,
            [database, side, jobs.ToString(CultureInfo.InvariantCulture), "--flood", callers.ToString(CultureInfo.InvariantCulture), .. keys > 0 ? ["--keys", keys.ToString(CultureInfo.InvariantCulture)] : Array.Empty<string>()]));

    /// <summary>Waits until a <c>--hold</c> host has opened its store.</summary>
    public Task WaitReadyAsync() => _host.WaitReadyAsync("the host should open its store");

    public Task<int> WaitForExitAsync(TimeSpan timeout) => _host.WaitForExitAsync(timeout);

    /// <summary>SIGKILL: no shutdown, no finally blocks, no flush.</summary>
    public void Kill() => _host.Kill();

    public void Dispose() => _host.Dispose();
}
