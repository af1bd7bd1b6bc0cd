using Microsoft.Extensions.DependencyInjection;

namespace JobTracking.Sqlite.Tests;

/// <summary>The SQLite store against <see cref="StoreBadInputTests"/>.</summary>
[Trait("Category", "Sqlite")]
public sealed class SqliteBadInputTests : StoreBadInputTests
{
    private readonly TempDatabase _database = new();

    /// <summary>SQLite keeps text as UTF-8, which has no form for a lone surrogate: each is stored as U+FFFD.</summary>
    protected override bool KeepsLoneSurrogates => false;

    protected override ValueTask PrepareStoreAsync() => ValueTask.CompletedTask;

    protected override void UseStore(JobTrackingBuilder builder) => builder.UseSqlite(_database.ConnectionString);

    protected override ValueTask DisposeStoreAsync()
    {
        _database.Dispose();
        return ValueTask.CompletedTask;
    }
}
