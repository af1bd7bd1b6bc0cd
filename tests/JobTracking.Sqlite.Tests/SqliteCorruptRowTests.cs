using Microsoft.Extensions.DependencyInjection;
using Microsoft.Data.Sqlite;

namespace JobTracking.Sqlite.Tests;

/// <summary>Rows of a SQLite file edited by hand with the sqlite3 shell: see <see cref="CorruptRowTests"/>.</summary>
[Trait("Category", "Sqlite")]
public sealed class SqliteCorruptRowTests : CorruptRowTests
{
    private readonly TempDatabase _database = new();

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
