using JobTracking.PostgreSql;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace JobTracking.PostgreSql.Tests;

/// <summary>Jobs started in an Entity Framework Core context's transaction, with Npgsql's provider: the entities and the jobs commit together, or neither.</summary>
public sealed class EntityFrameworkCoreStartTests : IAsyncDisposable
{
    private readonly StepLog _steps = new();
    private TestSchema? _schema;
    private IHost? _host;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task StartAsync_InTheContextsTransaction_CommitsOrRollsBackWithTheEntities(bool commit)
    {
        var runner = await StartAsync();
        Guid id;
        IReadOnlyList<Guid> many;
        await using (var db = NewContext())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            db.Orders.Add(new Order { Number = 42 });
            await db.SaveChangesAsync();
            var inTransaction = runner.InTransaction(db);
            id = await inTransaction.Job<StepJob>().StartAsync(new StepParameters { Steps = 1 });
            many = await inTransaction.Job<StepJob>().StartManyAsync([new StepParameters { Steps = 1 }, new StepParameters { Steps = 1 }]);
            if (commit)
            {
                await transaction.CommitAsync();
            }
            else
            {
                await transaction.RollbackAsync();
            }
        }

        await using (var db = NewContext())
        {
            (await db.Orders.CountAsync()).Should().Be(commit ? 1 : 0);
        }

        var later = await runner.Job<StepJob>().StartAsync(new StepParameters { Steps = 1 });
        await runner.WaitForCompletionAsync(later);
        foreach (var job in many.Prepend(id))
        {
            if (commit)
            {
                (await runner.WaitForCompletionAsync(job)).Status.Should().Be(JobStatus.Completed);
                _steps.Of(job).Should().Equal(0);
            }
            else
            {
                await FluentActions.Awaiting(async () => await _host!.Services.GetRequiredService<IJobTracker>().GetAsync(job)).Should().ThrowAsync<JobNotFoundException>();
                _steps.Of(job).Should().BeEmpty();
            }
        }
    }

    [Fact]
    public async Task AContextWithoutATransaction_IsRefused_AndNothingIsStarted()
    {
        var runner = await StartAsync();
        await using var db = NewContext();
        FluentActions.Invoking(() => runner.InTransaction(db)).Should().Throw<ArgumentException>().WithMessage("*no transaction*BeginTransactionAsync*");
        await using var transaction = await db.Database.BeginTransactionAsync();
        await transaction.CommitAsync();
        FluentActions.Invoking(() => runner.InTransaction(db)).Should().Throw<ArgumentException>().WithMessage("*no transaction*");
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync();
            _host.Dispose();
        }

        if (_schema is not null)
        {
            await _schema.DisposeAsync();
        }
    }

    private async Task<IJobRunner> StartAsync()
    {
        PostgresServer.Require();
        _schema = await PostgresServer.NewSchemaAsync();
        _host = new HostBuilder()
            .ConfigureServices(services => services
                .AddSingleton(_steps)
                .AddJobTracking(b => b.AddJob<StepJob>().UsePostgreSql(_schema.ConnectionString, o => o.Schema = _schema.Name)))
            .Build();
        await _host.StartAsync();
        await using var connection = new NpgsqlConnection(_schema.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE TABLE {_schema.Name}.orders (id serial PRIMARY KEY, number integer NOT NULL)", connection);
        await command.ExecuteNonQueryAsync();
        return _host.Services.GetRequiredService<IJobRunner>();
    }

    private ShopContext NewContext() =>
        new(new DbContextOptionsBuilder<ShopContext>().UseNpgsql(_schema!.ConnectionString).Options);

    private sealed class Order
    {
        public int Id { get; set; }

        public int Number { get; set; }
    }

    // The table is found through the schema's search path (the model, cached per context type, names no schema).
    private sealed class ShopContext(DbContextOptions<ShopContext> options) : DbContext(options)
    {
        public DbSet<Order> Orders => Set<Order>();

        protected override void OnModelCreating(ModelBuilder modelBuilder) =>
            modelBuilder.Entity<Order>(o =>
            {
                o.ToTable("orders");
                o.Property(x => x.Id).HasColumnName("id");
                o.Property(x => x.Number).HasColumnName("number");
            });
    }
}
