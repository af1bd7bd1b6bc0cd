using JobTracking.Sqlite.Storage;
using Microsoft.Data.Sqlite;

namespace JobTracking.Sqlite.Tests;

/// <summary>The writer's and readers' prepared statements: texts that repeat from row to row (type names, instance ids) read once.</summary>
public sealed class SqliteStatementTests
{
    [Fact]
    public void GetNameOrNull_ReadsWhatGetTextReads_AndHandsOutOneStringPerRepeatedText()
    {
        // Texts as they may be stored: repeated names, NULL, a NUL inside, bytes that are not UTF-8, a long text.
        using var connection = Table("""
                INSERT INTO t (v) VALUES ('ImportJob'), ('ExportJob'), ('ImportJob'), (NULL), ('ExportJob'),
                    (CAST(X'41004200' AS TEXT)), (CAST(X'FF41' AS TEXT)), (CAST(X'41004200' AS TEXT)), ('é — 日本'), ('é — 日本'),
                    (printf('%.300c', 'x')), (printf('%.300c', 'x'));
                """);

        var texts = Read(connection, (s, c) => s.GetText(c));
        var names = Read(connection, (s, c) => s.GetNameOrNull(c));

        names.Should().Equal(texts, "a name reads as the same text");
        texts[5].Should().Be("A\0B\0");
        texts[6].Should().Be("\uFFFDA");
        texts[10].Should().HaveLength(300);

        // One statement read them all: the repeated ones are one string each.
        var read = names;
        read[0].Should().BeSameAs(read[2], "a repeated short text is the string read before");
        read[1].Should().BeSameAs(read[4]);
        read[5].Should().BeSameAs(read[7]);
        read[8].Should().BeSameAs(read[9]);
        read[10].Should().NotBeSameAs(read[11], "a long text is not kept").And.Be(read[11]);
    }

    [Fact]
    public void GetNameOrNull_ManyDistinctTexts_EachReadRight()
    {
        // More distinct texts than the statement keeps (display names set per job), each twice, far apart.
        using var connection = Table("""
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
                INSERT INTO t (v) SELECT 'job ' || (i % 700) FROM n;
                """);

        Read(connection, (s, c) => s.GetNameOrNull(c)).Should().Equal(Enumerable.Range(0, 1000).Select(i => $"job {i % 700}"));
    }

    // An in-memory database with one text column, t.v, filled by the given insert.
    private static SqliteConnection Table(string insert)
    {
        var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var create = connection.CreateCommand();
        create.CommandText = "CREATE TABLE t (v TEXT); " + insert;
        create.ExecuteNonQuery();
        return connection;
    }

    private static List<string?> Read(SqliteConnection connection, Func<SqliteStatement, int, string?> read)
    {
        using var statement = new SqliteStatement(connection, "SELECT v FROM t ORDER BY rowid");
        var values = new List<string?>();
        while (statement.Step())
        {
            values.Add(read(statement, 0));
        }

        return values;
    }
}
