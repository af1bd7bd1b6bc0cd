using System.Text.RegularExpressions;

namespace JobTracking.PostgreSql;

/// <summary>Where and how the PostgreSQL job store keeps its tables. Bind it from configuration (<c>section.Bind(options)</c>) or set it in code; it is checked when the store opens.</summary>
public sealed partial class PostgreSqlJobStoreOptions
{
    /// <summary>Gets or sets the schema that holds the store's tables, created when missing. Every instance that shares the work uses the same one. Default <c>jobtracking</c>; lower-case letters, digits and underscores, starting with a letter or underscore, at most 63 characters.</summary>
    public string Schema { get; set; } = "jobtracking";

    /// <summary>Gets or sets whether this instance listens (LISTEN) for the notifications every instance sends when jobs change (new work, pause, cancel, events). Default <see langword="true"/>. Turn it off behind PgBouncer in transaction pooling mode, where LISTEN does not work: the instance then finds changes by polling every <see cref="PollInterval"/>.</summary>
    public bool UseListenNotify { get; set; } = true;

    /// <summary>Gets or sets how often this instance reads the change feed when it is not listening (LISTEN off, or its connection lost and not yet back): how late another instance's change can be seen then. While it listens, a notification wakes it at once and it reads only every 30 seconds otherwise. Default 1 second; 50 milliseconds to 1 minute.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the most writes sent to the server as one batch (one round trip, one transaction). Default 1,000; 1 to 100,000.</summary>
    public int MaxWriteBatch { get; set; } = 1_000;

    /// <summary>Gets or sets how many connections this instance writes on at once, each sending one batch at a time: while one batch's commit is flushed, the next is sent on another. Default 4; 1 to 64.</summary>
    public int WriteConnections { get; set; } = 4;

    /// <summary>Gets or sets how many of the latest changes the change feed keeps; older ones are deleted in small batches as new ones arrive. A subscriber that falls further behind loses the oldest. Default 1,000,000; 1,000 to 1,000,000,000.</summary>
    public int FeedRetention { get; set; } = 1_000_000;

    /// <summary>Gets the most jobs of a type that may be active (running, pausing, cancelling, shutting down) at once across every instance sharing the schema, by type name; types not listed have no cluster-wide limit. Each instance's own limits (<c>MaxConcurrency</c>, <c>JobTypeConcurrency</c>) apply as well. Each limit 1 to 100,000.</summary>
    public IDictionary<string, int> ClusterJobTypeConcurrency { get; } = new Dictionary<string, int>(StringComparer.Ordinal);

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentException">An option is out of range or malformed; the message names it.</exception>
    public void Validate()
    {
        if (Schema is null || !SchemaName().IsMatch(Schema))
        {
            throw new ArgumentException(
                $"PostgreSqlJobStoreOptions.Schema is '{Schema}'; it must be 1 to 63 lower-case letters, digits or underscores, starting with a letter or an underscore.", nameof(Schema));
        }

        if (PollInterval < TimeSpan.FromMilliseconds(50) || PollInterval > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentOutOfRangeException(nameof(PollInterval), PollInterval, $"PostgreSqlJobStoreOptions.PollInterval is {PollInterval}; it must be between 50 milliseconds and 1 minute.");
        }

        if (MaxWriteBatch is < 1 or > 100_000)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxWriteBatch), MaxWriteBatch, $"PostgreSqlJobStoreOptions.MaxWriteBatch is {MaxWriteBatch}; it must be between 1 and 100,000.");
        }

        if (WriteConnections is < 1 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(WriteConnections), WriteConnections, $"PostgreSqlJobStoreOptions.WriteConnections is {WriteConnections}; it must be between 1 and 64.");
        }

        foreach (var (type, limit) in ClusterJobTypeConcurrency)
        {
            if (string.IsNullOrWhiteSpace(type) || limit is < 1 or > 100_000)
            {
                throw new ArgumentOutOfRangeException(nameof(ClusterJobTypeConcurrency), limit, $"PostgreSqlJobStoreOptions.ClusterJobTypeConcurrency['{type}'] is {limit}; the type must be named and the limit between 1 and 100,000.");
            }
        }

        if (FeedRetention is < 1_000 or > 1_000_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(FeedRetention), FeedRetention, $"PostgreSqlJobStoreOptions.FeedRetention is {FeedRetention}; it must be between 1,000 and 1,000,000,000.");
        }
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex SchemaName();
}
