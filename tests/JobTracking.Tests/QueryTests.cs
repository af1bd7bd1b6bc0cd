using System.Text;

namespace JobTracking.Tests;

public sealed class QueryTests
{
    [Fact]
    public async Task ListAsync_WalkingPagesWhileJobsArrive_ReturnsEachExistingJobOnce()
    {
        await using var host = TestHost.Create(); // not started: jobs stay queued
        var existing = new HashSet<Guid>();
        for (var i = 0; i < 250; i++)
        {
            existing.Add(await host.StartStepJobAsync(new StepParameters()));
            if (i % 10 == 0)
            {
                host.Time.Advance(TimeSpan.FromMilliseconds(1));
            }
        }

        var seen = new List<Guid>();
        var query = new JobQuery { PageSize = 17 };
        do
        {
            var page = await host.Tracker.ListAsync(query);
            seen.AddRange(page.Items.Select(j => j.Id));
            for (var i = 0; i < 5; i++)
            {
                host.Time.Advance(TimeSpan.FromMilliseconds(1));
                await host.StartStepJobAsync(new StepParameters()); // newer than every page already read
            }

            query = query with { PageToken = page.NextPageToken };
        }
        while (query.PageToken is not null);

        seen.Should().OnlyHaveUniqueItems();
        seen.Where(existing.Contains).Should().HaveCount(250);
        seen.Should().BeEquivalentTo(existing, "jobs added after the walk began are newer than the first page");
    }

    [Fact]
    public async Task ListAsync_Filters_CombineAndOrderNewestFirst()
    {
        await using var host = TestHost.Create();
        var t0 = host.Time.GetUtcNow();
        var a = await host.StartStepJobAsync(new StepParameters(), new JobStartOptions { DisplayName = "Import products", LaunchedBy = "alice" });
        host.Time.Advance(TimeSpan.FromMinutes(1));
        var b = await host.Runner.StartAsync(nameof(OtherJob), new StepParameters(), new JobStartOptions { DisplayName = "Export prices", LaunchedBy = "alice" });
        host.Time.Advance(TimeSpan.FromMinutes(1));
        var c = await host.StartStepJobAsync(new StepParameters(), new JobStartOptions { DisplayName = "IMPORT media", LaunchedBy = "bob" });
        await host.Runner.PauseAsync(c);

        Ids(await host.Tracker.ListAsync(new JobQuery())).Should().Equal(c, b, a);
        Ids(await host.Tracker.ListAsync(new JobQuery { LaunchedBy = "alice" })).Should().Equal(b, a);
        Ids(await host.Tracker.ListAsync(new JobQuery { TypeName = nameof(OtherJob) })).Should().Equal(b);
        Ids(await host.Tracker.ListAsync(new JobQuery { Text = "import" })).Should().Equal(c, a);
        Ids(await host.Tracker.ListAsync(new JobQuery { Statuses = [JobStatus.Paused] })).Should().Equal(c);
        Ids(await host.Tracker.ListAsync(new JobQuery { CreatedFrom = t0.AddSeconds(30), CreatedTo = t0.AddSeconds(90) })).Should().Equal(b);
        (await host.Tracker.LastOperationsAsync(2)).Select(j => j.Id).Should().Equal(c, b);
        (await host.Tracker.LastOperationsAsync(5, "alice")).Select(j => j.Id).Should().Equal(b, a);
        await host.Invoking(h => h.Tracker.ListAsync(new JobQuery { CreatedFrom = t0.AddDays(1), CreatedTo = t0 }).AsTask())
            .Should().ThrowAsync<ArgumentException>().WithMessage("*CreatedFrom*after*CreatedTo*");
        await host.Invoking(h => h.Tracker.LastOperationsAsync(0).AsTask()).Should().ThrowAsync<ArgumentOutOfRangeException>();
    }

    [Fact]
    public async Task ExportRejectsCsv_RoundTripsQuotesCommasLineBreaksAndNonAscii()
    {
        await using var host = TestHost.Create(configure: b => b.AddJob<ImportJob>());
        await host.StartAsync();
        string[] rows =
        [
            "bad plain",
            "bad, with comma",
            "bad \"quoted\" text",
            "bad multi\r\nline\nrecord",
            "bad ünïcödé — 製品, \"ok\"",
            "good row",
        ];

        var id = await host.Runner.StartAsync(nameof(ImportJob), new ImportParameters { Rows = rows });
        await host.WaitAsync(id, JobStatus.Completed);
        var csv = new StringWriter();
        var count = await host.Tracker.ExportRejectsCsvAsync(id, csv);

        count.Should().Be(5);
        var records = ParseCsv(csv.ToString());
        records[0].Should().Equal("RecordNumber", "Reason", "RawRecord", "RejectedAt");
        records.Skip(1).Select(r => r[2]).Should().Equal(rows.Take(5));
        records.Skip(1).Select(r => long.Parse(r[0])).Should().Equal(1, 2, 3, 4, 5);
        records.Skip(1).Should().OnlyContain(r => r[1] == "contains 'bad'" && DateTimeOffset.Parse(r[3]) == host.Time.GetUtcNow());
    }

    [Fact]
    public async Task ExportRejectsCsv_CellsStartingWithAFormulaCharacter_AreNeutralisedWithAQuote()
    {
        await using var host = await TestHost.Create(configure: b => b.AddJob<RejectListJob>()).StartAsync();
        RejectRow[] formulas =
        [
            new("=HYPERLINK(\"http://evil.example\",\"click\")", "=1+2"),
            new("+41 22 000 00 00", "+bad"),
            new("-5", "-negative"),
            new("@SUM(A1:A2)", "@mention"),
            new("\tcmd", "\ttab first"),
            new("\rcmd", "\rreturn first"),
        ];
        RejectRow[] plain =
        [
            new("plain, with \"quotes\"", "reason = not first"),
            new("'already quoted", "a.b@example.com"),
            new("x-1", "1+1"),
        ];

        var id = await host.Runner.Job<RejectListJob>().StartAsync(new RejectListParameters { Rows = [.. formulas, .. plain] });
        await host.WaitAsync(id, JobStatus.Completed);
        var csv = new StringWriter();
        await host.Tracker.ExportRejectsCsvAsync(id, csv);

        var records = ParseCsv(csv.ToString()).Skip(1).ToList();
        records.Select(r => (r[1], r[2])).Should().Equal(
            formulas.Select(f => ("'" + f.Reason, "'" + f.Raw)).Concat(plain.Select(p => (p.Reason, p.Raw))));
        csv.ToString().Split("\r\n")[1].Should().StartWith("0,'=1+2,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\",");
        (await host.Tracker.GetRejectsAsync(id)).Items.Select(r => r.RawRecord).Should().Equal(
            formulas.Concat(plain).Select(r => r.Raw), "rejects are stored as received; only the export neutralises them");
    }

    [Fact]
    public async Task ExportRejectsCsv_FieldsHoldingASemicolonOrTab_AreQuoted_SoNoSeparatorStartsAFormulaCell()
    {
        await using var host = await TestHost.Create(configure: b => b.AddJob<RejectListJob>()).StartAsync();
        RejectRow[] rows =
        [
            new("SKU-9;=cmd|' /C calc'!A0", "semicolon"),
            new("SKU-10\t=1+1", "tab"),
        ];

        var id = await host.Runner.Job<RejectListJob>().StartAsync(new RejectListParameters { Rows = rows });
        await host.WaitAsync(id, JobStatus.Completed);
        var csv = new StringWriter();
        await host.Tracker.ExportRejectsCsvAsync(id, csv);

        var lines = csv.ToString().Split("\r\n");
        lines[1].Should().Contain(",\"SKU-9;=cmd|' /C calc'!A0\",");
        lines[2].Should().Contain(",\"SKU-10\t=1+1\",");
        ParseCsv(csv.ToString()).Skip(1).Select(r => r[2]).Should().Equal(rows.Select(r => r.Raw), "the records read back as they were received");
    }

    [Fact]
    public async Task PurgeAsync_RemovesOnlyFinishedJobsOlderThanTheCutoff()
    {
        await using var host = await TestHost.Create(configure: b => b.AddJob<ImportJob>()).StartAsync();
        var old = await host.Runner.StartAsync(nameof(ImportJob), new ImportParameters { Rows = ["bad"] });
        await host.WaitAsync(old, JobStatus.Completed);
        var oldFailed = await host.StartStepJobAsync(new StepParameters { Steps = 2, FailAt = 0 });
        await host.WaitAsync(oldFailed, JobStatus.Failed);
        var paused = await host.StartStepJobAsync(new StepParameters { Steps = 2, Blocking = true });
        await host.Probe.For(paused).WaitForStepAsync(0);
        await host.Runner.PauseAsync(paused);
        host.Probe.For(paused).Release();
        await host.WaitAsync(paused, JobStatus.Paused);
        var draft = await host.Runner.CreateDraftAsync(nameof(StepJob), new StepParameters());
        var running = await host.StartStepJobAsync(new StepParameters { Steps = 1, Blocking = true });
        await host.Probe.For(running).WaitForStepAsync(0);

        host.Time.Advance(TimeSpan.FromDays(10));
        var recent = await host.StartStepJobAsync(new StepParameters { Steps = 1 });
        await host.WaitAsync(recent, JobStatus.Completed);

        var purged = await host.Tracker.PurgeAsync(host.Time.GetUtcNow().AddDays(-1));

        purged.Should().Be(2);
        await host.Invoking(h => h.Tracker.GetAsync(old).AsTask()).Should().ThrowAsync<JobNotFoundException>();
        await host.Invoking(h => h.Tracker.GetRejectsAsync(old).AsTask()).Should().ThrowAsync<JobNotFoundException>();
        await host.Invoking(h => h.Tracker.GetAsync(oldFailed).AsTask()).Should().ThrowAsync<JobNotFoundException>();
        foreach (var kept in new[] { paused, draft, running, recent })
        {
            await host.Invoking(h => h.Tracker.GetAsync(kept).AsTask()).Should().NotThrowAsync();
        }

        host.Probe.For(running).Release();
    }

    [Fact]
    public async Task QueryAsync_WhilePurging_NeitherHangsNorReturnsPurgedHalfway()
    {
        var store = TestHost.CreateMemoryStore();
        JobStatus[] others = [JobStatus.Editing, JobStatus.Queued, JobStatus.Running, JobStatus.Paused, JobStatus.Failed, JobStatus.Cancelled];
        for (var i = 0; i < 3000; i++)
        {
            await StoreHelper.CreateInStatusAsync(store, i % 5 == 0 ? others[i / 5 % others.Length] : JobStatus.Completed);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!timeout.IsCancellationRequested)
            {
                var page = await store.QueryAsync(new JobQuery { PageSize = 100, Statuses = [JobStatus.Completed] });
                if (page.Items.Count == 0)
                {
                    return;
                }

                page.Items.Should().OnlyContain(j => j.Status == JobStatus.Completed);
            }
        })).ToArray();

        (await store.PurgeAsync(DateTimeOffset.MaxValue, 5000)).Should().Be(2400 + 200, "the completed jobs, and the failed and cancelled ones");
        await Task.WhenAll(readers).WaitAsync(timeout.Token);
        var left = await store.QueryAsync(new JobQuery { PageSize = JobQuery.MaxPageSize });
        left.Items.Select(j => j.Status).Should().OnlyContain(s => s == JobStatus.Editing || s == JobStatus.Queued || s == JobStatus.Running || s == JobStatus.Paused)
            .And.HaveCount(400);
    }

    [Fact]
    public async Task Retention_BackgroundTask_PurgesOnItsInterval()
    {
        await using var host = await TestHost.Create(o =>
        {
            o.RetentionPeriod = TimeSpan.FromDays(7);
            o.RetentionInterval = TimeSpan.FromHours(1);
        }).StartAsync();
        var id = await host.StartStepJobAsync(new StepParameters { Steps = 1 });
        await host.WaitAsync(id, JobStatus.Completed);

        host.Time.Advance(TimeSpan.FromDays(7) + TimeSpan.FromHours(1));

        await Wait.UntilAsync(async () => (await host.Tracker.ListAsync(new JobQuery())).Items.Count == 0, "the retention task to purge the finished job");
    }

    private static IEnumerable<Guid> Ids(JobPage page) => page.Items.Select(j => j.Id);

    // A strict RFC 4180 reader: the test's own, so the export is checked against the standard, not against itself.
    private static List<List<string>> ParseCsv(string text)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '"')
            {
                i++;
                while (true)
                {
                    if (text[i] == '"' && i + 1 < text.Length && text[i + 1] == '"')
                    {
                        field.Append('"');
                        i += 2;
                    }
                    else if (text[i] == '"')
                    {
                        i++;
                        break;
                    }
                    else
                    {
                        field.Append(text[i++]);
                    }
                }
            }
            else if (text[i] == ',')
            {
                record.Add(field.ToString());
                field.Clear();
                i++;
            }
            else if (text[i] == '\r' && text[i + 1] == '\n')
            {
                record.Add(field.ToString());
                field.Clear();
                records.Add(record);
                record = [];
                i += 2;
            }
            else
            {
                text[i].Should().NotBe('\n', "a bare line break must be inside quotes");
                field.Append(text[i++]);
            }
        }

        record.Should().BeEmpty("every record ends with CRLF");
        return records;
    }
}

public sealed record RejectRow(string Raw, string Reason);

public sealed record RejectListParameters
{
    public IReadOnlyList<RejectRow> Rows { get; init; } = [];
}

/// <summary>Rejects every row it is given, with the row's own reason.</summary>
public sealed class RejectListJob : JobDefinition<RejectListParameters>
{
    public override async ValueTask ExecuteAsync(IJobContext<RejectListParameters> context)
    {
        for (var i = 0; i < context.Parameters.Rows.Count; i++)
        {
            await context.RejectAsync(i, context.Parameters.Rows[i].Raw, context.Parameters.Rows[i].Reason);
        }
    }
}
