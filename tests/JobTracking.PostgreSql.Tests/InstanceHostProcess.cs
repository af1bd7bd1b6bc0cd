using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace JobTracking.PostgreSql.Tests;

/// <summary>The instance host (tests/JobTracking.PostgreSql.InstanceHost) running as a child process.</summary>
public sealed class InstanceHostProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private InstanceHostProcess(string instance, Process process)
    {
        Instance = instance;
        _process = process;
    }

    public static string HostPath { get; } = typeof(InstanceHostProcess).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "InstanceHostPath").Value!;

    /// <summary>Gets the instance's name, its node name in the store.</summary>
    public string Instance { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public string Error
    {
        get
        {
            lock (_error)
            {
                return _error.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <c>dotnet InstanceHost.dll connection-string schema instance --max-concurrency N</c>.</summary>
    public static InstanceHostProcess Start(string connectionString, string schema, string instance, int maxConcurrency)
    {
        File.Exists(HostPath).Should().BeTrue($"the instance host is built next to the tests ({HostPath})");
        // The dotnet CLI tells its children where it is; a plain "dotnet" from the PATH otherwise.
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } dotnet ? dotnet : "dotnet")
        {
            RedirectStandardInput = true, // closing it stops the host; so does the end of this process
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(HostPath);
        start.ArgumentList.Add(connectionString);
        start.ArgumentList.Add(schema);
        start.ArgumentList.Add(instance);
        start.ArgumentList.Add("--max-concurrency");
        start.ArgumentList.Add(maxConcurrency.ToString(CultureInfo.InvariantCulture));

        var host = new InstanceHostProcess(instance, new Process { StartInfo = start, EnableRaisingEvents = true });
        host._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (host._output)
            {
                host._output.AppendLine(e.Data);
            }

            if (e.Data == "ready")
            {
                host._ready.TrySetResult();
            }
        };
        host._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (host._error)
                {
                    host._error.AppendLine(e.Data);
                }
            }
        };
        host._process.Start();
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();
        return host;
    }

    /// <summary>Waits until the host has started (its store open, its workers running).</summary>
    public async Task WaitReadyAsync()
    {
        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(_ready.Task, exited).WaitAsync(TimeSpan.FromSeconds(60));
        first.Should().BeSameAs(_ready.Task, $"instance {Instance} should start; it exited with: {Error}");
    }

    /// <summary>SIGKILL: no shutdown, no finally blocks, no lease handed back.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>Stops the host the orderly way (its standard input closes), and kills it if it has not exited in time.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return;
        }

        _process.StandardInput.Close();
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            Kill();
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }
}
