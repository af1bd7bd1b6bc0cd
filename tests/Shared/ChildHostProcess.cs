using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace JobTracking.TestSupport;

/// <summary>A test host program (a console app built next to the tests) running as a child process: its output, its "ready" line, an orderly stop and SIGKILL.</summary>
public sealed class ChildHostProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildHostProcess(Process process) => _process = process;

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

    /// <summary>Sends a POSIX signal by name (<c>STOP</c> freezes the process, <c>CONT</c> lets it go on) with the system's <c>kill</c> command.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        kill.ExitCode.Should().Be(0, $"kill -{signal} {_process.Id} should succeed");
    }

    /// <summary>Writes a line to the standard input of a host started with <c>stopByClosingInput</c> (a command it reads there).</summary>
    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>The path of a host program built next to the tests, from the test assembly's <c>AssemblyMetadata</c> named <paramref name="key"/>.</summary>
    public static string PathOf(Assembly tests, string key) => tests.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    /// <summary>Starts <c>dotnet <paramref name="hostPath"/> <paramref name="arguments"/></c>; with <paramref name="stopByClosingInput"/> its standard input is kept, and closing it is the orderly stop.</summary>
    public static ChildHostProcess Start(string hostPath, IEnumerable<string> arguments, bool stopByClosingInput = false)
    {
        File.Exists(hostPath).Should().BeTrue($"the host program is built next to the tests ({hostPath})");
        // The dotnet CLI tells its children where it is; a plain "dotnet" from the PATH otherwise.
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } dotnet ? dotnet : "dotnet")
        {
            RedirectStandardInput = stopByClosingInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(hostPath);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var host = new ChildHostProcess(new Process { StartInfo = start, EnableRaisingEvents = true });
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

    /// <summary>Waits until the host prints its "ready" line; fails with its error output if it exits first.</summary>
    public async Task WaitReadyAsync(string what)
    {
        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(_ready.Task, exited).WaitAsync(TimeSpan.FromSeconds(60));
        first.Should().BeSameAs(_ready.Task, $"{what}; it exited with: {Error}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        _process.WaitForExit(); // drains the redirected output
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown, no finally blocks, no flush, no lease handed back.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>Stops a host started with <c>stopByClosingInput</c> the orderly way, and kills it if it has not exited in time.</summary>
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
