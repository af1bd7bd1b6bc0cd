using JobTracking.Storage;
using JobTracking.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace JobTracking.Sqlite.Tests;

public sealed class SqliteFeedTests : IDisposable
{
    private readonly List<TempDatabase> _databases = [];

    [Fact]
    public Task RandomCommandsFromSeveralThreads_EventsFormLegalGaplessPaths_Sqlite() =>
        FeedProperty.CheckAsync(
            () =>
            {
                var database = new TempDatabase();
                _databases.Add(database);
                return new HostBuilder()
                    .ConfigureServices(s => s.AddJobTracking(b =>
                    {
                        FeedProperty.AddJob(b);
                        b.UseSqlite(database.ConnectionString, o => o.Synchronous = SqliteSynchronousMode.Normal);
                    }))
                    .Build();
            },
            samples: 4);

    [Fact]
    public async Task Feed_IsTrimmedToItsRetention_AndReadersSeeWhereItStarts()
    {
        using var database = new TempDatabase();
        await using var store = SqliteJobStores.Open(database.ConnectionString, new SqliteJobStoreOptions { FeedRetention = 1_000, Synchronous = SqliteSynchronousMode.Normal });
        for (var i = 0; i < 20_000; i++)
        {
            await store.CreateAsync(new JobRecord
            {
                Id = Guid.NewGuid(),
                TypeName = "t",
                DisplayName = "d",
                Status = JobStatus.Editing,
                Version = 1,
                Parameters = "{}",
                CreatedAt = DateTimeOffset.UnixEpoch,
            });
        }

        var read = await store.ReadFeedAsync(0, new JobChange[10]);
        read.LatestSequence.Should().Be(20_000);
        read.FirstSequence.Should().BeGreaterThan(10_000, "old changes are deleted in batches as new ones arrive")
            .And.BeLessThanOrEqualTo(20_000 - 1_000 + 1, "the retention's worth is kept");
        read.Count.Should().Be(10);
    }

    [Fact]
    public void Options_FeedRetentionOutOfRange_IsRefusedByName()
    {
        var act = () => new SqliteJobStoreOptions { FeedRetention = 10 }.Validate();
        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*FeedRetention*");
    }

    public void Dispose()
    {
        foreach (var database in _databases)
        {
            database.Dispose();
        }
    }
}
