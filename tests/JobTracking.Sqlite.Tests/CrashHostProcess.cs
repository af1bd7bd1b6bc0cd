using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace JobTracking.Sqlite.Tests;

/// <summary>The crash host (tests/JobTracking.Sqlite.CrashHost) running as a child process.</summary>
public sealed class CrashHostProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CrashHostProcess(Process process)
    {
        _process = process;
    }

    public static string HostPath { get; } = typeof(CrashHostProcess).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "CrashHostPath").Value!;

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

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <c>dotnet CrashHost.dll database side jobs [--hold]</c>.</summary>
    public static CrashHostProcess Start(string database, string side, int jobs, bool hold = false)
    {
        File.Exists(HostPath).Should().BeTrue($"the crash host is built next to the tests ({HostPath})");
        // The dotnet CLI tells its children where it is; a plain "dotnet" from the PATH otherwise.
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } dotnet ? dotnet : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(HostPath);
        start.ArgumentList.Add(database);
        start.ArgumentList.Add(side);
        start.ArgumentList.Add(jobs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (hold)
        {
            start.ArgumentList.Add("--hold");
        }

        var host = new CrashHostProcess(new Process { StartInfo = start, EnableRaisingEvents = true });
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

    /// <summary>Waits until a <c>--hold</c> host has opened its store.</summary>
    public async Task WaitReadyAsync()
    {
        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(_ready.Task, exited).WaitAsync(TimeSpan.FromSeconds(60));
        first.Should().BeSameAs(_ready.Task, $"the host should open its store; it exited with: {Error}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        _process.WaitForExit(); // drains the redirected output
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown, no finally blocks, no flush.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
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
