using JobTracking.Definitions;
using JobTracking.Running;
using JobTracking.Storage;
using Npgsql;

namespace JobTracking.PostgreSql.Storage;

/// <summary>The runner of <see cref="PostgreSqlJobRunnerExtensions.InTransaction"/>: each call made with the store writing in the application's transaction.</summary>
internal sealed class PgTransactionRunner(IJobRunner inner, PostgreSqlJobStore store, NpgsqlTransaction transaction) : IJobRunner
{
    public IJobRunner Inner => inner;

    public JobLauncher<TJob> Job<TJob>()
        where TJob : class, IJobDefinition => new(this, inner.Job<TJob>().TypeName);

    public async ValueTask<Guid> StartAsync<TParameters>(string jobType, TParameters parameters, JobStartOptions? options = null, CancellationToken cancellationToken = default)
    {
        using var scope = Enter();
        return await inner.StartAsync(jobType, parameters, options, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<Guid>> StartManyAsync<TParameters>(string jobType, IReadOnlyList<TParameters> parameters, JobStartOptions? options = null, CancellationToken cancellationToken = default)
    {
        using var scope = Enter();
        return await inner.StartManyAsync(jobType, parameters, options, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<Guid>> StartManyAsync<TParameters>(string jobType, IReadOnlyList<JobStartRequest<TParameters>> requests, CancellationToken cancellationToken = default)
    {
        using var scope = Enter();
        return await inner.StartManyAsync(jobType, requests, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<Guid> CreateDraftAsync<TParameters>(string jobType, TParameters parameters, JobStartOptions? options = null, CancellationToken cancellationToken = default)
    {
        using var scope = Enter();
        return await inner.CreateDraftAsync(jobType, parameters, options, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask UpdateDraftAsync<TParameters>(Guid jobId, TParameters parameters, string? displayName = null, CancellationToken cancellationToken = default)
    {
        using var scope = Enter();
        await inner.UpdateDraftAsync(jobId, parameters, displayName, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask SubmitAsync(Guid jobId, CancellationToken cancellationToken = default) => SubmitAsync(jobId, null, cancellationToken);

    public async ValueTask SubmitAsync(Guid jobId, JobCommandOptions? options, CancellationToken cancellationToken = default)
    {
        using var scope = Enter();
        await inner.SubmitAsync(jobId, options, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask PauseAsync(Guid jobId, CancellationToken cancellationToken = default) => PauseAsync(jobId, null, cancellationToken);

    public async ValueTask PauseAsync(Guid jobId, JobCommandOptions? options, CancellationToken cancellationToken = default)
    {
        using var scope = Enter();
        await inner.PauseAsync(jobId, options, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask ResumeAsync(Guid jobId, CancellationToken cancellationToken = default) => ResumeAsync(jobId, null, cancellationToken);

    public async ValueTask ResumeAsync(Guid jobId, JobCommandOptions? options, CancellationToken cancellationToken = default)
    {
        using var scope = Enter();
        await inner.ResumeAsync(jobId, options, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask CancelAsync(Guid jobId, CancellationToken cancellationToken = default) => CancelAsync(jobId, null, cancellationToken);

    public async ValueTask CancelAsync(Guid jobId, JobCommandOptions? options, CancellationToken cancellationToken = default)
    {
        using var scope = Enter();
        await inner.CancelAsync(jobId, options, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask RestartAsync(Guid jobId, CancellationToken cancellationToken = default) => RestartAsync(jobId, null, cancellationToken);

    public async ValueTask RestartAsync(Guid jobId, JobCommandOptions? options, CancellationToken cancellationToken = default)
    {
        using var scope = Enter();
        await inner.RestartAsync(jobId, options, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask RunNowAsync(Guid jobId, CancellationToken cancellationToken = default) => RunNowAsync(jobId, null, cancellationToken);

    public async ValueTask RunNowAsync(Guid jobId, JobCommandOptions? options, CancellationToken cancellationToken = default)
    {
        using var scope = Enter();
        await inner.RunNowAsync(jobId, options, cancellationToken).ConfigureAwait(false);
    }

    public Task<JobRecord> WaitForStatusAsync(Guid jobId, IReadOnlyCollection<JobStatus> statuses, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException(
            "A wait in the transaction would wait for the commit it holds back: commit the transaction, then wait with the runner itself (not the one InTransaction returned).");

    private IDisposable Enter()
    {
        PgApplicationTransaction.Check(store, transaction, "transaction");
        return PgApplicationTransaction.Enter(store, transaction);
    }
}
