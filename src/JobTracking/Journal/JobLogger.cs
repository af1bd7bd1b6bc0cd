using JobTracking.Control;
using Microsoft.Extensions.Logging;

namespace JobTracking.Journal;

/// <summary>The job's <see cref="IJobContext.Logger"/>: each line goes to the job's log and to the host's logger with the job id in scope.</summary>
internal sealed class JobLogger(JobRun run, ILogger host) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => host.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (logLevel == LogLevel.None)
        {
            return;
        }

        var message = formatter(state, exception);
        run.Write(logLevel, exception is null ? message : $"{message} {exception.GetType().FullName}: {exception.Message}");
        if (host.IsEnabled(logLevel))
        {
            using (host.BeginScope(new JobScope(run.JobId, run.TypeName)))
            {
                host.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }

    /// <summary>The scope the host's log lines carry: the job id and type.</summary>
    private sealed class JobScope(Guid jobId, string typeName) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => 2;

        public KeyValuePair<string, object?> this[int index] => index switch
        {
            0 => new("JobId", jobId),
            1 => new("JobType", typeName),
            _ => throw new ArgumentOutOfRangeException(nameof(index)),
        };

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            yield return this[0];
            yield return this[1];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"JobId:{jobId} JobType:{typeName}";
    }
}
