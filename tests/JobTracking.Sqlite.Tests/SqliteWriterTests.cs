using JobTracking.Sqlite.Storage;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace JobTracking.Sqlite.Tests;

/// <summary>The writer's group commit: every write waiting is committed in one transaction, and one that fails takes nothing else with it.</summary>
[Trait("Category", "Sqlite")]
public sealed class SqliteWriterTests : IDisposable
{
    private readonly TempDatabase _database = new();

    [Fact]
    public async Task Group_OneStatementWriteFails_OthersOfItsTransactionStayAndNothingOfItIsKept()
    {
        await using var opened = await OpenAsync();
        var writer = opened.Writer;
        using var gate = new ManualResetEventSlim();

        // The first write holds the loop, so every write after it waits and they all run in the next transaction.
        var held = writer.WriteOneAsync(gate, static (_, g) => g.Wait(TimeSpan.FromSeconds(30)), default);
        var before = Enumerable.Range(0, 25).Select(i => writer.WriteOneAsync(i, static (s, n) => Insert(s, 1, n), default)).ToList();
        var failing = writer.WriteOneAsync(0, static (s, _) => Execute(s, "INSERT INTO job_log (job_id, seq, at, level, message) VALUES (x'02', 1, 0, 0, 'a'), (x'02', 1, 0, 0, 'same key')"), default);
        var after = Enumerable.Range(25, 25).Select(i => writer.WriteOneAsync(i, static (s, n) => Insert(s, 1, n), default)).ToList();
        var transactions = writer.WriteOneAsync(0, static (s, _) => Execute(s, "SELECT 1"), default);
        gate.Set();

        (await held).Should().BeTrue();
        await FluentActions.Awaiting(() => failing).Should().ThrowAsync<SqliteException>().Where(e => e.SqliteErrorCode == SQLitePCL.raw.SQLITE_CONSTRAINT);
        (await Task.WhenAll(before.Concat(after))).Should().AllBeEquivalentTo(1);
        await transactions;

        Count(1).Should().Be(50, "the writes before and after the failing one are committed");
        Count(2).Should().Be(0, "SQLite undid the failing statement's first row: a one-statement write needs no savepoint");
    }

    [Fact]
    public async Task Group_WriteOfTwoStatementsFailsInTheSecond_ItsFirstIsUndoneAndTheOthersStay()
    {
        await using var opened = await OpenAsync();
        var writer = opened.Writer;
        using var gate = new ManualResetEventSlim();

        var held = writer.WriteOneAsync(gate, static (_, g) => g.Wait(TimeSpan.FromSeconds(30)), default);
        var others = Enumerable.Range(0, 50).Select(i => writer.WriteOneAsync(i, static (s, n) => Insert(s, 1, n), default)).ToList();
        var failing = writer.WriteAsync(0, static (s, _) => Insert(s, 3, 1) + Insert(s, 3, 1), default);
        gate.Set();

        await held;
        await FluentActions.Awaiting(() => failing).Should().ThrowAsync<SqliteException>();
        await Task.WhenAll(others);

        Count(1).Should().Be(50);
        Count(3).Should().Be(0, "the write's first statement is rolled back to its savepoint");
    }

    [Fact]
    public async Task WriteDelay_AWriteWaitsForOthersToShareItsCommit_UntilTheBatchIsFullOrTheDelayHasPassed()
    {
        var time = new WatchedTime(new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero), TimeSpan.FromMilliseconds(50));
        await using var store = SqliteJobStores.Open(
            _database.ConnectionString,
            new SqliteJobStoreOptions { MaxWriteBatch = 2, WriteDelay = TimeSpan.FromMilliseconds(50) },
            timeProvider: time);
        var jobs = Enumerable.Range(0, 3).Select(_ => NewJob()).ToList();

        var first = store.CreateAsync(jobs[0]).AsTask();
        await time.NextDelayAsync(); // the writer took the write and waits, on the store's clock, for company
        first.IsCompleted.Should().BeFalse("a write waits, up to WriteDelay on the store's clock, for another write to share its commit");
        var second = store.CreateAsync(jobs[1]).AsTask();
        await Task.WhenAll(first, second).WaitAsync(Wait.DefaultTimeout, TestContext.Current.CancellationToken); // two: the batch is full, so it commits at once

        var alone = store.CreateAsync(jobs[2]).AsTask();
        await time.NextDelayAsync();
        alone.IsCompleted.Should().BeFalse("alone, the write waits for the delay to pass");
        time.Advance(TimeSpan.FromMilliseconds(50));
        await alone.WaitAsync(Wait.DefaultTimeout, TestContext.Current.CancellationToken); // the delay has passed: it commits alone

        foreach (var job in jobs)
        {
            (await store.GetAsync(job.Id))!.Status.Should().Be(JobStatus.Queued);
        }
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(10_001, 0)]
    [InlineData(256, -1)]
    [InlineData(256, 101)]
    public void Options_WriteBatchOrDelayOutOfRange_IsRefusedByName(int maxWriteBatch, int delayMilliseconds)
    {
        var act = () => new SqliteJobStoreOptions { MaxWriteBatch = maxWriteBatch, WriteDelay = TimeSpan.FromMilliseconds(delayMilliseconds) }.Validate();
        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage(maxWriteBatch == 256 ? "*WriteDelay*" : "*MaxWriteBatch*");
    }

    public void Dispose() => _database.Dispose();

    /// <summary>A fake clock that tells when a timer of the given length is set on it: the writer's wait for company.</summary>
    private sealed class WatchedTime(DateTimeOffset start, TimeSpan watched) : FakeTimeProvider(start)
    {
        private readonly Channel<bool> _set = Channel.CreateUnbounded<bool>();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            if (dueTime == watched)
            {
                _set.Writer.TryWrite(true);
            }

            return timer;
        }

        public async Task NextDelayAsync() =>
            await _set.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Wait.DefaultTimeout);
    }

    private static JobRecord NewJob() => new()
    {
        Id = Guid.NewGuid(),
        TypeName = "t",
        DisplayName = "d",
        Status = JobStatus.Queued,
        Version = 1,
        Parameters = "{}",
        CreatedAt = new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero),
    };

    private static int Insert(SqliteWriteSession session, int job, int seq) =>
        Execute(session, $"INSERT INTO job_log (job_id, seq, at, level, message) VALUES (x'0{job}', {seq}, 0, 0, 'line')");

    private static int Execute(SqliteWriteSession session, string sql)
    {
        using var command = session.Connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }

    private long Count(int job)
    {
        using var connection = new SqliteConnection($"Data Source={_database.Path_};Pooling=False;Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM job_log WHERE job_id = x'0{job}'";
        return (long)command.ExecuteScalar()!;
    }

    private async Task<OpenWriter> OpenAsync()
    {
        await Task.Yield();
        var file = SqliteFile.Open(_database.ConnectionString, new SqliteJobStoreOptions(), NullLogger.Instance);
        var session = new SqliteWriteSession(file.Writer, TimeProvider.System, 1_000);
        return new OpenWriter(file, session, new SqliteWriter(session, maxBatch: 256, delay: TimeSpan.Zero, TimeProvider.System));
    }

    private sealed record OpenWriter(SqliteFile File, SqliteWriteSession Session, SqliteWriter Writer) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Writer.DisposeAsync();
            Session.Dispose();
            File.Writer.Dispose();
            File.FileLock.Dispose();
        }
    }
}
