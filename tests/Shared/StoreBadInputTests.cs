using System.Text.Json;
using JobTracking.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace JobTracking.TestSupport;

/// <summary>
/// Hostile input that reaches a store through the public API: SQL and HTML in every text field, NUL and invalid
/// UTF-16 in log lines and rejects, oversized filters, and page tokens from another query, another store or no store.
/// Each store's test class derives from this one, so every store is held to the same answers.
/// </summary>
public abstract class StoreBadInputTests : IAsyncDisposable
{
    /// <summary>SQL, HTML, LIKE wildcards, format holes, PostgreSQL's escape marker, NUL and line breaks, in one text.</summary>
    public const string Hostile = "'; DROP TABLE jobs; -- \" <script>alert('x')</script> <b>&amp;</b> %_\\ {0} {Text} \u0001 nul:\0 é 😀 \r\n\t end";

    private readonly List<IHost> _hosts = [];

    [Fact]
    public async Task HostileText_InEveryField_IsStoredVerbatim_AndMatchedOnlyAsText()
    {
        var host = await StartHostAsync();
        var runner = host.Services.GetRequiredService<IJobRunner>();
        var tracker = host.Services.GetRequiredService<IJobTracker>();
        var plain = await runner.Job<TextJob>().StartAsync(new TextParameters("plain"), new JobStartOptions { DisplayName = "plain name", LaunchedBy = "plain" });
        var id = await runner.Job<TextJob>().StartAsync(
            new TextParameters(Hostile, Fail: true), new JobStartOptions { DisplayName = Hostile, LaunchedBy = Hostile, ConcurrencyKey = Hostile });

        var job = await WaitAsync(runner, id, JobStatus.Failed);
        await WaitAsync(runner, plain, JobStatus.Completed);

        (job.DisplayName, job.LaunchedBy, job.ConcurrencyKey).Should().Be((Hostile, Hostile, Hostile));
        JsonSerializer.Deserialize<TextParameters>(job.Parameters, JsonSerializerOptions.Web)!.Text.Should().Be(Hostile);
        JsonSerializer.Deserialize<string>(job.Checkpoint!).Should().Be(Hostile);
        job.Steps.Should().ContainSingle().Which.Name.Should().Be(TextJob.StepName(Hostile));
        job.Error!.Message.Should().Be(Hostile);
        (await tracker.GetLogAsync(id)).Items.Select(l => l.Message).Should().Equal(Hostile, Hostile);
        var reject = (await tracker.GetRejectsAsync(id)).Items.Should().ContainSingle().Subject;
        (reject.RawRecord, reject.Reason).Should().Be((Hostile, Hostile));

        Ids(await tracker.ListAsync(new JobQuery { LaunchedBy = Hostile })).Should().Equal(id);
        Ids(await tracker.ListAsync(new JobQuery { Text = Hostile })).Should().Equal(id);
        Ids(await tracker.ListAsync(new JobQuery { Text = "drop TABLE jobs; -- \" <SCRIPT>" })).Should().Equal(id);
        Ids(await tracker.ListAsync(new JobQuery { Text = "%" })).Should().Equal([id], "% is a character to find, not a wildcard");
        Ids(await tracker.ListAsync(new JobQuery { Text = "_" })).Should().Equal([id], "_ is a character to find, not a wildcard");
        Ids(await tracker.ListAsync(new JobQuery { Text = "' OR '1'='1" })).Should().BeEmpty();
        Ids(await tracker.ListAsync(new JobQuery { TypeName = "TextJob' OR '1'='1" })).Should().BeEmpty();
        Ids(await tracker.ListAsync(new JobQuery())).Should().Equal([id, plain], "the DROP TABLE in the text was stored, never run");
    }

    [Fact]
    public async Task OneMegabyteFilters_AreAnsweredWithNoMatch()
    {
        var host = await StartHostAsync();
        var tracker = host.Services.GetRequiredService<IJobTracker>();
        await host.Services.GetRequiredService<IJobRunner>().Job<TextJob>().CreateDraftAsync(new TextParameters("x"), new JobStartOptions { DisplayName = "xxxx", LaunchedBy = "x" });
        var huge = new string('x', 1 << 20);

        (await tracker.ListAsync(new JobQuery { Text = huge })).Items.Should().BeEmpty();
        (await tracker.ListAsync(new JobQuery { LaunchedBy = huge })).Items.Should().BeEmpty();
        (await tracker.ListAsync(new JobQuery { TypeName = huge })).Items.Should().BeEmpty();
        (await tracker.LastOperationsAsync(10, huge)).Should().BeEmpty();
    }

    [Fact]
    public async Task JournalText_WithNulAndLoneSurrogates_IsKept_LoneSurrogatesAsReplacementCharactersInUtf8Stores()
    {
        var host = await StartHostAsync();
        var runner = host.Services.GetRequiredService<IJobRunner>();
        var tracker = host.Services.GetRequiredService<IJobTracker>();

        var id = await runner.Job<TextJob>().StartAsync(new TextParameters("odd", OddLines: true));
        await WaitAsync(runner, id, JobStatus.Completed);

        var log = (await tracker.GetLogAsync(id, new JournalQuery { PageSize = 1000 })).Items;
        var rejects = (await tracker.GetRejectsAsync(id, new JournalQuery { PageSize = 1000 })).Items;
        var lines = TextJob.OddLines.Select(Stored).ToList();
        log.Select(l => l.Message).Should().Equal(lines.Concat(lines));
        rejects.Select(r => r.RawRecord).Should().Equal(lines);
        rejects.Select(r => r.Reason).Should().Equal(lines.Select(l => "reason " + l));
    }

    [Fact]
    public async Task StartOptions_WithNulAndLoneSurrogates_AreKept_AndFoundByTextPastTheNul()
    {
        var host = await StartHostAsync();
        var runner = host.Services.GetRequiredService<IJobRunner>();
        var tracker = host.Services.GetRequiredService<IJobTracker>();
        var odd = string.Concat(TextJob.OddLines);

        var id = await runner.Job<TextJob>().CreateDraftAsync(new TextParameters("x"), new JobStartOptions { DisplayName = odd, LaunchedBy = odd, ConcurrencyKey = odd });

        var job = await tracker.GetAsync(id);
        (job.DisplayName, job.LaunchedBy, job.ConcurrencyKey).Should().Be((Stored(odd), Stored(odd), Stored(odd)));
        Ids(await tracker.ListAsync(new JobQuery { LaunchedBy = odd })).Should().Equal(id);
        Ids(await tracker.ListAsync(new JobQuery { Text = "\uD800 end" })).Should().Equal(id);
    }

    [Fact]
    public async Task PageToken_FromAQueryWithOtherFilters_ContinuesThisQueryAfterTheSameJob()
    {
        var host = await StartHostAsync();
        var tracker = host.Services.GetRequiredService<IJobTracker>();
        await CreateDraftsAsync(host, 8, i => i % 2 == 0 ? "alice" : "bob");
        var all = (await tracker.ListAsync(new JobQuery { PageSize = 100 })).Items;

        var alicePage = await tracker.ListAsync(new JobQuery { LaunchedBy = "alice", PageSize = 2 });
        var bobAfterAlice = await tracker.ListAsync(new JobQuery { LaunchedBy = "bob", PageSize = 100, PageToken = alicePage.NextPageToken });

        var position = all.ToList().FindIndex(j => j.Id == alicePage.Items[^1].Id);
        Ids(bobAfterAlice).Should().Equal(all.Skip(position + 1).Where(j => j.LaunchedBy == "bob").Select(j => j.Id),
            "a page token is a position in the newest-first order of every job, whatever the filters that issued it");
    }

    [Fact]
    public async Task PageToken_FromAnotherStore_IsTheSamePositionInThisOne()
    {
        var host = await StartHostAsync();
        var other = await StartHostAsync(inMemory: true);
        for (var i = 0; i < 5; i++)
        {
            await CreateDraftsAsync(host, 1, _ => "here");
            await CreateDraftsAsync(other, 1, _ => "there");
        }

        foreach (var (issuer, reader) in new[] { (other, host), (host, other) })
        {
            var issued = await issuer.Services.GetRequiredService<IJobTracker>().ListAsync(new JobQuery { PageSize = 2 });
            var readerTracker = reader.Services.GetRequiredService<IJobTracker>();
            var everything = (await readerTracker.ListAsync(new JobQuery { PageSize = 100 })).Items;

            var page = await readerTracker.ListAsync(new JobQuery { PageSize = 100, PageToken = issued.NextPageToken });

            var (createdAt, lastId) = JobPageToken.Decode(issued.NextPageToken)!.Value;
            Ids(page).Should().Equal(everything.Where(j => j.CreatedAt < createdAt || (j.CreatedAt == createdAt && j.Id.CompareTo(lastId) < 0)).Select(j => j.Id))
                .And.NotBeEmpty("jobs were created on both stores in turn").And.HaveCountLessThan(everything.Count);
        }
    }

    [Fact]
    public async Task PageToken_TamperedOrFromAnotherList_IsRefusedNamingIt_AndAForgedPositionIsOnlyAPosition()
    {
        var host = await StartHostAsync();
        var tracker = host.Services.GetRequiredService<IJobTracker>();
        var ids = await CreateDraftsAsync(host, 3, _ => "x");
        var token = (await tracker.ListAsync(new JobQuery { PageSize = 1 })).NextPageToken!;

        foreach (var bad in new[] { token[..^1] + "z", token[..^2], token.Replace('_', '-'), "-" + token, token + "_" + token, new string('9', 1 << 20) })
        {
            var error = (await tracker.Invoking(t => t.ListAsync(new JobQuery { PageToken = bad }).AsTask()).Should().ThrowAsync<ArgumentException>()).Which;
            error.Message.Should().Contain("page token").And.Contain("malformed").And.Contain(bad.Length <= 64 ? bad : bad[..64]);
            error.Message.Length.Should().BeLessThan(300, "a token of a megabyte is quoted in part");
            await tracker.Invoking(t => t.GetLogAsync(ids[0], new JournalQuery { PageToken = bad }).AsTask())
                .Should().ThrowAsync<ArgumentException>().WithMessage("*page token*malformed*");
        }

        await tracker.Invoking(t => t.GetLogAsync(ids[0], new JournalQuery { PageToken = token }).AsTask())
            .Should().ThrowAsync<ArgumentException>().WithMessage("*page token*malformed*", "a list's token is not a journal's");
        await tracker.Invoking(t => t.ListAsync(new JobQuery { PageToken = "12" }).AsTask())
            .Should().ThrowAsync<ArgumentException>().WithMessage("*page token '12' is malformed*", "a journal's token is not a list's");
        var all = Ids(await tracker.ListAsync(new JobQuery())).ToList();
        all.Should().BeEquivalentTo(ids);
        Ids(await tracker.ListAsync(new JobQuery { PageToken = Forged(DateTimeOffset.MaxValue) })).Should().Equal(all, "a position after every job starts at the newest");
        var beforeAll = await tracker.ListAsync(new JobQuery { PageToken = Forged(DateTimeOffset.UnixEpoch) });
        (beforeAll.Items.Count, beforeAll.NextPageToken).Should().Be((0, null));
    }

    [Fact]
    public async Task JournalPageToken_FromAnotherJob_IsTheSamePositionInThisJob()
    {
        var host = await StartHostAsync();
        var runner = host.Services.GetRequiredService<IJobRunner>();
        var tracker = host.Services.GetRequiredService<IJobTracker>();
        var a = await runner.Job<TextJob>().StartAsync(new TextParameters("a", OddLines: true));
        var b = await runner.Job<TextJob>().StartAsync(new TextParameters("b", OddLines: true));
        await WaitAsync(runner, a, JobStatus.Completed);
        await WaitAsync(runner, b, JobStatus.Completed);

        var fromA = await tracker.GetLogAsync(a, new JournalQuery { PageSize = 3 });
        var onB = await tracker.GetLogAsync(b, new JournalQuery { PageSize = 1000, PageToken = fromA.NextPageToken });

        onB.Items.Select(l => l.Sequence).Should().Equal(Enumerable.Range(4, (TextJob.OddLines.Length * 2) - 3).Select(i => (long)i));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.StopAsync();
            host.Dispose();
        }

        await DisposeStoreAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Gets whether the store keeps a lone surrogate (UTF-16 that is not Unicode text) as it is, or stores U+FFFD in its place, as UTF-8 text does.</summary>
    protected virtual bool KeepsLoneSurrogates => true;

    /// <summary>Creates the test's database on the first call (or skips the test when the store's server is missing).</summary>
    protected abstract ValueTask PrepareStoreAsync();

    /// <summary>Adds the store under test to a host.</summary>
    protected abstract void UseStore(JobTrackingBuilder builder);

    /// <summary>Deletes the test's database.</summary>
    protected abstract ValueTask DisposeStoreAsync();

    private async Task<IHost> StartHostAsync(bool inMemory = false)
    {
        if (!inMemory)
        {
            await PrepareStoreAsync();
        }

        var host = new HostBuilder()
            .ConfigureServices(services => services.AddJobTracking(b =>
            {
                b.AddJob<TextJob>().Configure(o =>
                {
                    o.MaxConcurrency = 2;
                    o.CheckpointInterval = TimeSpan.Zero;
                });
                if (!inMemory)
                {
                    UseStore(b);
                }
            }))
            .Build();
        _hosts.Add(host);
        await host.StartAsync();
        return host;
    }

    private static async Task<List<Guid>> CreateDraftsAsync(IHost host, int count, Func<int, string> launchedBy)
    {
        var runner = host.Services.GetRequiredService<IJobRunner>();
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            ids.Add(await runner.Job<TextJob>().CreateDraftAsync(new TextParameters("draft"), new JobStartOptions { LaunchedBy = launchedBy(i) }));
        }

        return ids;
    }

    private static async Task<JobRecord> WaitAsync(IJobRunner runner, Guid id, JobStatus status)
    {
        using var timeout = new CancellationTokenSource(Wait.DefaultTimeout);
        return await runner.WaitForStatusAsync(id, status, timeout.Token);
    }

    private static IEnumerable<Guid> Ids(JobPage page) => page.Items.Select(j => j.Id);

    // What the store gives back for a text: the text itself, or with each lone surrogate replaced by U+FFFD.
    private string Stored(string text)
    {
        if (KeepsLoneSurrogates)
        {
            return text;
        }

        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(chars[i]))
            {
                chars[i] = '\uFFFD';
            }
        }

        return new string(chars);
    }

    // A well-formed token that no store issued: the position of a job created at that time.
    private static string Forged(DateTimeOffset at) => JobPageToken.Encode(new JobRecord
    {
        Id = Guid.Empty, TypeName = "x", DisplayName = "x", Status = JobStatus.Queued, Version = 1, Parameters = "{}", CreatedAt = at,
    });
}

/// <summary>The parameters of <see cref="TextJob"/>: the text it writes everywhere, whether it then fails with it, or whether it writes <see cref="TextJob.OddLines"/> instead.</summary>
public sealed record TextParameters(string Text, bool Fail = false, bool OddLines = false);

/// <summary>Writes its text into every place a job writes text: a step, the log (both ways), a reject, the checkpoint and, when asked, its error.</summary>
public sealed class TextJob : JobDefinition<TextParameters>
{
    /// <summary>Lines with NUL and invalid UTF-16, which a job can write but JSON parameters cannot carry.</summary>
    public static readonly string[] OddLines =
    [
        "nul \0 inside", "\0", "lone high \uD800 end", "lone low \uDC00 end", "reversed \uDC00\uD800", "ends high \uD83D", "\uDE00 starts low",
        "pair 😀 kept", "\u0001 marker first", "\u0001", "\u0001\u0001x0000",
    ];

    /// <summary>The step's name: the text, cut to the 200 characters a step name may have.</summary>
    public static string StepName(string text) => text.Length <= 200 ? text : text[..200];

    public override async ValueTask ExecuteAsync(IJobContext<TextParameters> context)
    {
        var p = context.Parameters;
        if (p.OddLines)
        {
            for (var i = 0; i < OddLines.Length; i++)
            {
                await context.LogAsync(LogLevel.Information, OddLines[i]);
                await context.RejectAsync(i, OddLines[i], "reason " + OddLines[i]);
            }

            foreach (var line in OddLines)
            {
                context.Logger.LogInformation("{Line}", line);
            }

            return;
        }

        context.DefineSteps(StepName(p.Text));
        context.BeginStep(StepName(p.Text)).Complete();
        await context.LogAsync(LogLevel.Information, p.Text);
        context.Logger.LogWarning("{Text}", p.Text);
        await context.RejectAsync(1, p.Text, p.Text);
        context.SetCheckpoint(p.Text);
        await context.SafePointAsync();
        if (p.Fail)
        {
            throw new InvalidOperationException(p.Text);
        }
    }
}
