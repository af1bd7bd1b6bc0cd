using Npgsql;

namespace JobTracking.PostgreSql.Storage;

/// <summary>Reading the results the write statements share: the ids they return, the count of rows they changed.</summary>
internal static class PgWrites
{
    public static async ValueTask<HashSet<Guid>> ReadIds(NpgsqlDataReader reader)
    {
        var ids = new HashSet<Guid>();
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    public static async ValueTask<bool> ReadApplied(NpgsqlDataReader reader) => await ReadCount(reader).ConfigureAwait(false) == 1;

    public static async ValueTask<long> ReadCount(NpgsqlDataReader reader) =>
        await reader.ReadAsync().ConfigureAwait(false) ? reader.GetInt64(0) : 0;
}
