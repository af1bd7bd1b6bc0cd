using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace JobTracking.Tests;

public sealed class ReportTests
{
    private static TestHost CreateHost(Action<JobTrackingOptions>? options = null, Action<JobTrackingBuilder>? configure = null) =>
        TestHost.Create(options, configure: b =>
        {
            b.AddJob<JournalJob>().AddJob<ImportJob>();
            configure?.Invoke(b);
        });

    [Fact]
    public async Task Import_WithRejects_CompletesWithWarningsAndFullReport()
    {
        await using var host = await CreateHost().StartAsync();

        var id = await host.Runner.StartAsync(nameof(ImportJob), new ImportParameters { Rows = ["a", "bad 1", "b", "bad, \"2\""] });
        var job = await host.WaitAsync(id, JobStatus.Completed);

        job.WarningCount.Should().Be(3, "two rejects and one warning line");
        job.HasWarnings.Should().BeTrue();
        job.Steps.Select(s => (s.Name, s.Status, s.Read, s.Written, s.Skipped)).Should().Equal(
            ("read", JobStepStatus.Completed, 4L, 0L, 0L),
            ("validate", JobStepStatus.Completed, 0L, 0L, 2L),
            ("write", JobStepStatus.Completed, 0L, 2L, 0L));
        job.Steps.Should().OnlyContain(s => s.Duration == TimeSpan.Zero, "the fake clock did not move");

        var rejects = await host.Tracker.GetRejectsAsync(id);
        rejects.Items.Select(r => (r.Sequence, r.RecordNumber, r.RawRecord, r.Reason)).Should().Equal(
            (1L, 2L, "bad 1", "contains 'bad'"),
            (2L, 4L, "bad, \"2\"", "contains 'bad'"));
        var log = await host.Tracker.GetLogAsync(id);
        log.Items.Should().ContainSingle().Which.Should().Match<JobLogEntry>(l => l.Level == LogLevel.Warning && l.Message == "2 rows written");
    }

    [Fact]
    public async Task Import_RejectsWhileOneStepRuns_CountOnceOnTheJobAndOnThatStep()
    {
        await using var host = await CreateHost().StartAsync();

        var id = await host.Runner.StartAsync(nameof(ImportJob), new ImportParameters { Rows = ["a", "bad 1", "b", "bad 2"] });
        var job = await host.WaitAsync(id, JobStatus.Completed);

        job.Steps.Select(s => (s.Name, s.Warnings)).Should().Equal([("read", 0L), ("validate", 2L), ("write", 0L)], "the step that rejected the rows counts them");
        job.WarningCount.Should().Be(3, "each reject counts once on the job (and the warning line once)");
    }

    [Fact]
    public async Task RunningJob_StepsAndProgress_AreVisibleBeforeItEnds()
    {
        await using var host = await CreateHost(o => o.ProgressInterval = TimeSpan.FromSeconds(1)).StartAsync();
        var id = await host.Runner.StartAsync(nameof(ImportJob), new ImportParameters { Rows = ["a", "bad"], Blocking = true });
        await host.Probe.For(id).WaitForStepAsync(0);

        (await host.Tracker.GetAsync(id)).Steps.Should().BeEmpty("the report is throttled to one save a second");
        host.Time.Advance(TimeSpan.FromSeconds(1));
        await Wait.UntilAsync(async () => (await host.Tracker.GetAsync(id)).Steps.Count == 3, "the report with three steps to be stored");
        var running = await host.Tracker.GetAsync(id);

        running.Status.Should().Be(JobStatus.Running);
        running.Steps.Select(s => s.Status).Should().Equal(JobStepStatus.Completed, JobStepStatus.Completed, JobStepStatus.Running);
        running.WarningCount.Should().Be(1);

        await host.Runner.CancelAsync(id);
        var cancelled = await host.WaitAsync(id, JobStatus.Cancelled);
        cancelled.Steps[2].Status.Should().Be(JobStepStatus.Cancelled);
    }

    [Fact]
    public async Task FailingJob_RunningStep_EndsFailed()
    {
        await using var host = await CreateHost().StartAsync();
        var id = await host.Runner.StartAsync(nameof(ImportJob), new ImportParameters { Rows = ["x"], Blocking = true });
        await host.Probe.For(id).WaitForStepAsync(0);

        await host.Runner.CancelAsync(id);
        var job = await host.WaitAsync(id, JobStatus.Cancelled);

        job.Steps.Select(s => s.Status).Should().Equal(JobStepStatus.Completed, JobStepStatus.Completed, JobStepStatus.Cancelled);
    }

    [Fact]
    public async Task MillionLogLinesAndHundredThousandRejects_ThroughASmallBuffer_AllStoredInOrder()
    {
        await using var host = await CreateHost(o => o.JournalBufferCapacity = 4096).StartAsync();

        var id = await host.Runner.StartAsync(nameof(JournalJob), new JournalParameters { Lines = 1_000_000, Rejects = 100_000 });
        await host.WaitAsync(id, JobStatus.Completed);

        long expected = 0;
        var query = new JournalQuery { PageSize = JournalQuery.MaxPageSize };
        do
        {
            var page = await host.Tracker.GetLogAsync(id, query);
            foreach (var line in page.Items)
            {
                line.Sequence.Should().Be(expected + 1);
                if (line.Message != $"line {expected}")
                {
                    line.Message.Should().Be($"line {expected}");
                }

                expected++;
            }

            query = query with { PageToken = page.NextPageToken };
        }
        while (query.PageToken is not null);

        expected.Should().Be(1_000_000);
        var rejects = 0;
        query = new JournalQuery { PageSize = JournalQuery.MaxPageSize };
        do
        {
            var page = await host.Tracker.GetRejectsAsync(id, query);
            foreach (var reject in page.Items)
            {
                reject.RecordNumber.Should().Be(rejects++);
            }

            query = query with { PageToken = page.NextPageToken };
        }
        while (query.PageToken is not null);

        rejects.Should().Be(100_000);
        (await host.Tracker.GetAsync(id)).WarningCount.Should().Be(100_000);
    }

    [Fact]
    public async Task SyncLogger_FullBuffer_WaitsAtSafePointAndLosesNothing()
    {
        await using var host = await CreateHost(o => o.JournalBufferCapacity = 16).StartAsync();

        var id = await host.Runner.StartAsync(nameof(JournalJob), new JournalParameters { Lines = 50_000, ViaLogger = true, SafePointEvery = 100 });
        await host.WaitAsync(id, JobStatus.Completed);

        var page = await host.Tracker.GetLogAsync(id, new JournalQuery { PageSize = JournalQuery.MaxPageSize, PageToken = "40000" });
        page.Items.Select(l => l.Message).Should().Equal(Enumerable.Range(40_000, 10_000).Select(i => $"line {i}"));
    }

    [Fact]
    public async Task TerminalStatus_NeverVisibleBeforeJournalIsComplete()
    {
        await using var host = await CreateHost(o => o.JournalBufferCapacity = 64).StartAsync();
        for (var round = 0; round < 20; round++)
        {
            var id = await host.Runner.StartAsync(nameof(JournalJob), new JournalParameters { Lines = 2000, Rejects = 100 });
            JobRecord job;
            do
            {
                job = await host.Tracker.GetAsync(id);
            }
            while (job.Status != JobStatus.Completed);

            // Read right after the status turned Completed, with no waiting in between.
            var last = await host.Tracker.GetLogAsync(id, new JournalQuery { PageSize = 1, PageToken = "1999" });
            last.Items.Should().ContainSingle().Which.Message.Should().Be("line 1999");
            (await host.Tracker.GetRejectsAsync(id, new JournalQuery { PageSize = 1, PageToken = "99" })).Items.Should().ContainSingle();
        }
    }

    [Fact]
    public async Task OversizedText_IsStoredTruncatedWithMarker()
    {
        await using var host = await CreateHost(o => o.MaxJournalTextLength = 1000).StartAsync();
        var text = new string('é', 5000);

        var id = await host.Runner.StartAsync(nameof(JournalJob), new JournalParameters { LongText = text });
        await host.WaitAsync(id, JobStatus.Completed);

        var line = (await host.Tracker.GetLogAsync(id)).Items.Single();
        line.Message.Should().StartWith(new string('é', 1000)).And.EndWith("[truncated: 5000 characters in all]");
        var reject = (await host.Tracker.GetRejectsAsync(id)).Items.Single();
        reject.RawRecord.Should().StartWith(new string('é', 1000)).And.Contain("truncated");
    }

    [Fact]
    public async Task OversizedText_CutInsideASurrogatePair_KeepsThePairWhole()
    {
        await using var host = await CreateHost(o => o.MaxJournalTextLength = 256).StartAsync();
        var text = new string('a', 255) + "😀" + new string('b', 100);

        var id = await host.Runner.StartAsync(nameof(JournalJob), new JournalParameters { LongText = text });
        await host.WaitAsync(id, JobStatus.Completed);

        var line = (await host.Tracker.GetLogAsync(id)).Items.Single().Message;
        line.Should().Be(new string('a', 255) + "… [truncated: 357 characters in all]", "the cut falls inside the emoji, so the emoji goes with the rest");
        var reject = (await host.Tracker.GetRejectsAsync(id)).Items.Single().RawRecord;
        reject.Should().Be(line);
    }

    [Fact]
    public async Task Logger_ForwardsToHostLoggerWithJobIdInScope()
    {
        var provider = new CapturingLoggerProvider();
        await using var host = await CreateHost(configure: b => b.Services.AddLogging(l => l.AddProvider(provider))).StartAsync();

        var id = await host.Runner.StartAsync(nameof(ImportJob), new ImportParameters { Rows = ["a"] });
        await host.WaitAsync(id, JobStatus.Completed);

        provider.Lines.Should().Contain(l => l.Message == "1 rows written" && l.Scopes.Contains($"JobId:{id} JobType:ImportJob"));
    }

    [Fact]
    public async Task Journals_BadArguments_AreRefused()
    {
        await using var host = await CreateHost().StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 1 });
        await host.WaitAsync(id, JobStatus.Completed);

        await host.Invoking(h => h.Tracker.GetLogAsync(Guid.NewGuid()).AsTask()).Should().ThrowAsync<JobNotFoundException>();
        await host.Invoking(h => h.Tracker.GetRejectsAsync(id, new JournalQuery { PageSize = 0 }).AsTask()).Should().ThrowAsync<ArgumentOutOfRangeException>();
        await host.Invoking(h => h.Tracker.GetLogAsync(id, new JournalQuery { PageToken = "-3" }).AsTask()).Should().ThrowAsync<ArgumentException>().WithMessage("*malformed*");
        (await host.Tracker.GetLogAsync(id)).Items.Should().BeEmpty();
        await host.Invoking(h => h.Tracker.ExportRejectsCsvAsync(Guid.NewGuid(), TextWriter.Null)).Should().ThrowAsync<JobNotFoundException>();
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

        public ConcurrentQueue<(string Message, List<string> Scopes)> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Capturing(this);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }

        private sealed class Capturing(CapturingLoggerProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => owner._scopes.Push(state);

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var scopes = new List<string>();
                owner._scopes.ForEachScope((scope, list) => list.Add(scope?.ToString() ?? string.Empty), scopes);
                owner.Lines.Enqueue((formatter(state, exception), scopes));
            }
        }
    }
}
