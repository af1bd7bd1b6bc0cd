using JobTracking.Sqlite.Storage;
using Microsoft.Data.Sqlite;

namespace JobTracking.Sqlite.Tests;

/// <summary>The journal's multi-row inserts: every row lands once, in order, whatever the count; a failure leaves nothing behind.</summary>
public sealed class SqliteBatchedInsertTests : IDisposable
{
    private readonly SqliteConnection _connection = new("Data Source=:memory:");

    public SqliteBatchedInsertTests()
    {
        _connection.Open();
        using var create = _connection.CreateCommand();
        create.CommandText = "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)";
        create.ExecuteNonQuery();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(64)]
    [InlineData(1000)]
    public void Rows_AreAllInsertedOnce_WithTheirValues(int count)
    {
        using var insert = new SqliteBatchedInsert(_connection, "t", ["k", "v"], 1);
        for (var i = 0; i < count; i++)
        {
            insert.Add((long)i, SqliteRows.Text(i % 10 == 0 ? $"row\0{i}" : $"row {i}"));
        }

        insert.Flush();

        var rows = Read();
        rows.Select(r => r.K).Should().Equal(Enumerable.Range(0, count).Select(i => (long)i));
        rows.Select(r => r.V).Should().Equal(Enumerable.Range(0, count).Select(i => i % 10 == 0 ? $"row\0{i}" : $"row {i}"), "text is cast back to TEXT, NUL included");
    }

    [Fact]
    public void AFailedStatement_ThenReset_TheNextRowsGoInWithoutTheFailedOnes()
    {
        using var insert = new SqliteBatchedInsert(_connection, "t", ["k", "v"], 1);
        insert.Add(1L, "one");
        insert.Flush();

        // Ten rows, the sixth repeating key 1: the statement holding it fails (the writer then rolls the caller's write
        // back); what the failed call had kept must not reach the next call. Ten rows span a full statement and a rest.
        var failing = () =>
        {
            for (var i = 0; i < 10; i++)
            {
                insert.Add(i == 5 ? 1L : 100L + i, "failed call");
            }

            insert.Flush();
        };
        failing.Should().Throw<SqliteException>().Which.SqliteErrorCode.Should().Be(19, "SQLITE_CONSTRAINT");

        insert.Reset();
        insert.Add(2L, "two");
        insert.Flush();

        Read().Should().Equal([(1L, "one"), (2L, "two")], "the failed statement stored none of its rows and the reset dropped the rest");
    }

    public void Dispose() => _connection.Dispose();

    private List<(long K, string V)> Read()
    {
        using var select = _connection.CreateCommand();
        select.CommandText = "SELECT k, v FROM t ORDER BY k";
        using var reader = select.ExecuteReader();
        var rows = new List<(long, string)>();
        while (reader.Read())
        {
            rows.Add((reader.GetInt64(0), reader.GetString(1)));
        }

        return rows;
    }
}
