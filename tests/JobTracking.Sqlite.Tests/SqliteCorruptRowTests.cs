using Microsoft.Extensions.DependencyInjection;
using Microsoft.Data.Sqlite;

namespace JobTracking.Sqlite.Tests;

/// <summary>Rows of a SQLite file edited by hand with the sqlite3 shell: see <see cref="CorruptRowTests"/>.</summary>
[Trait("Category", "Sqlite")]
public sealed class SqliteCorruptRowTests : CorruptRowTests
{
    private readonly TempDatabase _database = new();

    /// <summary>What SQLite keeps in an INTEGER column when it does not read as an integer, and the words the error must hold.</summary>
    public static TheoryData<string, string> StatusesThatAreNotIntegers() => new()
    {
        { "status = 'Queued'", "status: the text 'Queued' is not a job status" },
        { "status = 6.5", "status: the real number 6.5 is not a job status" },
        { "status = x'06'", "status: a blob of length 1 is not a job status" },
        { $"status = '{new string('Q', 1000)}'", "(1000 characters) is not a job status" },
        // The version moved too, so the feed's trigger records the text status as well.
        { "status = 'Queued', version = version + 1", "status: the text 'Queued' is not a job status" },
    };

    [Theory]
    [MemberData(nameof(StatusesThatAreNotIntegers))]
    public Task StatusNotAnInteger_ReadOrCommanded_IsAClearErrorNamingTheJob_AndTheHostRunsOn(string edit, string named) =>
        CorruptRow_ReadOrCommanded_IsAClearErrorNamingTheJob_AndTheHostRunsOn(edit, named);

    /// <summary>
    /// SQLite keeps text in an INTEGER column that is not a well-formed number, and reads 'Running' as 0 and '3abc' as 3: a
    /// command read the job one way and compared it another, and refused moves for ever. Now the read is the error.
    /// </summary>
    [Theory]
    [InlineData("status = 'Running'", "status: the text 'Running' is not a job status")]
    [InlineData("version = '3abc'", "version: '3abc' is not an integer")]
    public async Task CompareAndSetColumn_EditedToText_ReadOrCommanded_IsAClearErrorNamingTheJob_NeverALoop(string edit, string named)
    {
        var host = await StartHostAsync();
        var runner = host.Services.GetRequiredService<IJobRunner>();
        var tracker = host.Services.GetRequiredService<IJobTracker>();
        var corrupt = await runner.CreateDraftAsync(nameof(StepJob), new StepParameters { Steps = 1, MillisecondsPerStep = 0 });

        await EditAsync(corrupt, edit);

        foreach (var call in new Func<Task>[]
        {
            () => tracker.GetAsync(corrupt).AsTask(),
            () => runner.CancelAsync(corrupt).AsTask(),
            () => runner.SubmitAsync(corrupt).AsTask(),
            () => runner.UpdateDraftAsync(corrupt, new StepParameters { Steps = 2 }).AsTask(),
        })
        {
            (await call.Should().ThrowExactlyAsync<JobTrackingException>()).Which.Message.Should()
                .Contain($"job '{corrupt}'").And.Contain("malformed").And.Contain(named);
        }

        var next = await runner.StartAsync(nameof(StepJob), new StepParameters { Steps = 1, MillisecondsPerStep = 0 });
        await WaitAsync(runner, next, JobStatus.Completed);
    }

    /// <summary>The columns of schema version 5 edited by hand into what the store never writes, and the words the error must hold.</summary>
    public static TheoryData<string, string> TimeAndKeyColumns() => new()
    {
        { "run_after = 'soon'", "run_after: 'soon' is not an integer" },
        { "run_after = -5", "run_after: -5 is not a time" },
        { "idempotent_until = 1.5", "idempotent_until: '1.5' is not an integer" },
        { "timeout = 0", "timeout: 0 is not a duration" },
        { "timeout = x'00'", "timeout: " },
    };

    [Theory]
    [MemberData(nameof(TimeAndKeyColumns))]
    public Task TimeOrKeyColumnMalformed_ReadOrCommanded_IsAClearErrorNamingTheJobAndTheColumn(string edit, string named) =>
        CorruptRow_ReadOrCommanded_IsAClearErrorNamingTheJob_AndTheHostRunsOn(edit, named);

    /// <summary>A queued job with no run-after time is in the queue (a draft made Queued by hand included); one whose other new columns are malformed fails when a claim meets it.</summary>
    [Theory]
    [InlineData("idempotent_until = 'later'", "idempotent_until: 'later' is not an integer")]
    [InlineData("timeout = -1", "timeout: -1 is not a duration")]
    public Task QueuedWithMalformedTimeColumn_MetByAClaim_FailsNamingTheColumn(string edit, string named) =>
        CorruptQueuedRow_MetByAClaim_FailsNamingTheProblem_AndTheOtherJobsRun(edit, named);

    protected override ValueTask PrepareStoreAsync() => ValueTask.CompletedTask;

    protected override void UseStore(JobTrackingBuilder builder) => builder.UseSqlite(_database.ConnectionString);

    protected override async Task EditAsync(Guid jobId, string assignments)
    {
        // Another connection, as another program would open the file; the store's busy timeout lets it in between writes.
        await using var connection = new SqliteConnection($"{_database.ConnectionString};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"UPDATE jobs SET {assignments} WHERE id = @id";
        command.Parameters.AddWithValue("@id", jobId.ToByteArray(bigEndian: true));
        (await command.ExecuteNonQueryAsync()).Should().Be(1);
    }

    [Theory]
    [InlineData("status = 'Running'")]
    [InlineData("status = 2.5")]
    public Task FeedStatusNotAnInteger_ReadFromTheStart_CarriesNoStatus_AndTheChangesAfterItFollow(string edit) =>
        CorruptFeedRow_ReadFromTheStart_CarriesNoStatus_AndTheChangesAfterItFollow(edit);

    protected override async Task EditFeedAsync(Guid jobId, string assignments)
    {
        await using var connection = new SqliteConnection($"{_database.ConnectionString};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"UPDATE job_feed SET {assignments} WHERE job_id = @id";
        command.Parameters.AddWithValue("@id", jobId.ToByteArray(bigEndian: true));
        (await command.ExecuteNonQueryAsync()).Should().BeGreaterThan(0);
    }

    protected override string AttemptJson(string status) =>
        "{\"number\": 1, \"started\": 0, \"ended\": 0, \"status\": " + status + ", \"errorType\": null, \"errorMessage\": null, \"errorStack\": null}";

    protected override ValueTask DisposeStoreAsync()
    {
        _database.Dispose();
        return ValueTask.CompletedTask;
    }
}
