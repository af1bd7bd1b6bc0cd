using System.Globalization;

namespace JobTracking.PostgreSql.Tests;

/// <summary>The instance host (tests/JobTracking.PostgreSql.InstanceHost) running as a child process.</summary>
public sealed class InstanceHostProcess : IDisposable
{
    private readonly ChildHostProcess _host;

    private InstanceHostProcess(string instance, ChildHostProcess host)
    {
        Instance = instance;
        _host = host;
    }

    public static string HostPath { get; } = ChildHostProcess.PathOf(typeof(InstanceHostProcess).Assembly, "InstanceHostPath");

    /// <summary>Gets the instance's name, its node name in the store.</summary>
    public string Instance { get; }

    public string Output => _host.Output;

    public string Error => _host.Error;

    public bool HasExited => _host.HasExited;

    /// <summary>Starts <c>dotnet InstanceHost.dll connection-string schema instance --max-concurrency N --lease-ms N --heartbeat-ms N</c>, then <paramref name="more"/> (the modes of tests/JobTracking.PostgreSql.InstanceHost/Program.cs); closing its standard input (or the end of this process) stops it.</summary>
    public static InstanceHostProcess Start(string connectionString, string schema, string instance, int maxConcurrency, TimeSpan lease, TimeSpan heartbeat, params string[] more) =>
        new(instance, ChildHostProcess.Start(
            HostPath,
            [
                connectionString, schema, instance, "--max-concurrency", maxConcurrency.ToString(CultureInfo.InvariantCulture),
                "--lease-ms", ((int)lease.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
                "--heartbeat-ms", ((int)heartbeat.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
                .. more,
            ],
            stopByClosingInput: true));

    /// <summary>Writes a command line to the host's standard input (<c>go &lt;unix-ms&gt;</c> in the keyed-starts mode).</summary>
    public Task WriteLineAsync(string line) => _host.WriteLineAsync(line);

    /// <summary>Waits until the host has started (its store open, its workers running).</summary>
    public Task WaitReadyAsync() => _host.WaitReadyAsync($"instance {Instance} should start");

    /// <summary>SIGSTOP: the process stops where it is, as a machine that hangs or a long pause would, until <see cref="ThawAsync"/>.</summary>
    public Task FreezeAsync() => _host.SignalAsync("STOP");

    /// <summary>SIGCONT: a frozen process goes on from where it stopped.</summary>
    public Task ThawAsync() => _host.SignalAsync("CONT");

    /// <summary>SIGKILL: no shutdown, no finally blocks, no lease handed back.</summary>
    public void Kill() => _host.Kill();

    /// <summary>Stops the host the orderly way (its standard input closes), and kills it if it has not exited in time.</summary>
    public Task StopAsync(TimeSpan timeout) => _host.StopAsync(timeout);

    public void Dispose() => _host.Dispose();
}
