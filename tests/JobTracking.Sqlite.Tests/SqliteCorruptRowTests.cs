using Microsoft.Extensions.DependencyInjection;
using Microsoft.Data.Sqlite;

namespace JobTracking.Sqlite.Tests;

/// <summary>Rows of a SQLite file edited by hand with the sqlite3 shell: see <see cref="CorruptRowTests"/>.</summary>
[Trait("Category", "Sqlite")]
public sealed class SqliteCorruptRowTests : CorruptRowTests
{
    private readonly TempDatabase _database = new();

    /// <summary>
    /// SQLite keeps text in an INTEGER column that is not a well-formed number, and reads 'Running' as 0 and '3abc' as 3: a
    /// command read the job one way and compared it another, and refused moves for ever. Now the read is the error.
    /// </summary>
    [Theory]
    [InlineData("status = 'Running'", "status: 'Running' is not an integer")]
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

    protected override ValueTask DisposeStoreAsync()
    {
        _database.Dispose();
        return ValueTask.CompletedTask;
    }
}
