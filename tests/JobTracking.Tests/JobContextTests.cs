using System.Globalization;
using System.Text.RegularExpressions;
using JobTracking.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace JobTracking.Tests;

/// <summary>A job's context used from several tasks of the job at once.</summary>
public sealed partial class JobContextTests
{
    [Fact]
    public async Task ParallelTasks_LoggingAndRejectingWhileASafePointDrainsAFullBuffer_StoreEveryLineOnceInEachTasksOrder()
    {
        var parameters = new ParallelJournalParameters { Tasks = 16, Lines = 400, RejectEvery = 5 };
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        var store = TestHost.CreateMemoryStore(time: time);
        await using var host = await TestHost.Create(
            o => o.JournalBufferCapacity = 16,
            store: store,
            time: time,
            configure: b =>
            {
                b.AddJob<ParallelJournalJob>();
                b.Services.Replace(ServiceDescriptor.Singleton<IJobJournalStore>(new SlowJournalStore(store)));
            }).StartAsync();

        var id = await host.Runner.StartAsync(nameof(ParallelJournalJob), parameters);
        var job = await host.WaitAsync(id, JobStatus.Completed, JobStatus.Failed);

        job.Error.Should().BeNull();
        job.Status.Should().Be(JobStatus.Completed);
        var lines = new List<int>[parameters.Tasks];
        for (var task = 0; task < parameters.Tasks; task++)
        {
            lines[task] = [];
        }

        await foreach (var line in ReadAllAsync(query => host.Tracker.GetLogAsync(id, query)))
        {
            var match = LogLine().Match(line.Message);
            match.Success.Should().BeTrue($"'{line.Message}' is a line the job wrote");
            lines[int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)].Add(int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
        }

        var rejects = new List<long>[parameters.Tasks];
        for (var task = 0; task < parameters.Tasks; task++)
        {
            rejects[task] = [];
        }

        await foreach (var reject in ReadAllAsync(query => host.Tracker.GetRejectsAsync(id, query)))
        {
            rejects[reject.RecordNumber / parameters.Lines].Add(reject.RecordNumber % parameters.Lines);
        }

        for (var task = 0; task < parameters.Tasks; task++)
        {
            lines[task].Should().Equal(Enumerable.Range(0, parameters.Lines), $"task {task}'s lines are each stored once, in the order it wrote them");
            rejects[task].Should().Equal(
                Enumerable.Range(0, parameters.Lines).Where(i => i % parameters.RejectEvery == 0).Select(i => (long)i),
                $"task {task}'s rejects are each stored once, in the order it made them");
        }

        job.WarningCount.Should().Be(parameters.Tasks * ((parameters.Lines + parameters.RejectEvery - 1) / parameters.RejectEvery));
    }

    private static async IAsyncEnumerable<T> ReadAllAsync<T>(Func<JournalQuery, ValueTask<JournalPage<T>>> read)
    {
        var query = new JournalQuery { PageSize = JournalQuery.MaxPageSize };
        do
        {
            var page = await read(query);
            foreach (var item in page.Items)
            {
                yield return item;
            }

            query = query with { PageToken = page.NextPageToken };
        }
        while (query.PageToken is not null);
    }

    [GeneratedRegex("^task ([0-9]+) line ([0-9]+)$")]
    private static partial Regex LogLine();
}

public sealed record ParallelJournalParameters
{
    public int Tasks { get; init; }

    public int Lines { get; init; }

    public int RejectEvery { get; init; }
}

/// <summary>
/// Several tasks each write numbered lines, mostly through the synchronous logger (which keeps them in the job when
/// the buffer is full) and now and then through LogAsync, with a reject every few lines; another task calls
/// SafePointAsync until they are done. A reject's record number tells its task and line.
/// </summary>
public sealed class ParallelJournalJob : JobDefinition<ParallelJournalParameters>
{
    public override async ValueTask ExecuteAsync(IJobContext<ParallelJournalParameters> context)
    {
        var p = context.Parameters;
        var writing = p.Tasks;
        var safePoints = Task.Run(async () =>
        {
            while (Volatile.Read(ref writing) > 0)
            {
                await context.SafePointAsync();
                await Task.Yield();
            }
        });

        var tasks = Enumerable.Range(0, p.Tasks).Select(task => Task.Run(async () =>
        {
            try
            {
                for (var line = 0; line < p.Lines; line++)
                {
                    if (line % 4 == 3)
                    {
                        await context.LogAsync(LogLevel.Information, $"task {task} line {line}");
                    }
                    else
                    {
                        context.Logger.LogInformation("task {Task} line {Line}", task, line);
                    }

                    if (line % p.RejectEvery == 0)
                    {
                        await context.RejectAsync((task * p.Lines) + line, $"task {task}", $"line {line}");
                    }
                }
            }
            finally
            {
                Interlocked.Decrement(ref writing);
            }
        })).ToList();
        tasks.Add(safePoints);
        await Task.WhenAll(tasks);
    }
}

/// <summary>A journal that stores slowly: each append waits its turn behind other work, so the job's buffer stays full.</summary>
internal sealed class SlowJournalStore(IJobJournalStore inner) : IJobJournalStore
{
    public async ValueTask<int> AppendJournalAsync(IReadOnlyList<JobJournalEntry> entries, CancellationToken cancellationToken = default)
    {
        for (var i = 0; i < 20; i++)
        {
            await Task.Yield();
        }

        return await inner.AppendJournalAsync(entries, cancellationToken);
    }

    public ValueTask<JournalPage<JobLogEntry>> ReadLogAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default) =>
        inner.ReadLogAsync(jobId, query, cancellationToken);

    public ValueTask<JournalPage<JobReject>> ReadRejectsAsync(Guid jobId, JournalQuery query, CancellationToken cancellationToken = default) =>
        inner.ReadRejectsAsync(jobId, query, cancellationToken);
}
