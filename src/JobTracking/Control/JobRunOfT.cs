using System.Text.Json;
using JobTracking.Ownership;
using JobTracking.Running;

namespace JobTracking.Control;

/// <summary>One execution of a job whose parameters are <typeparamref name="TParameters"/>.</summary>
internal sealed class JobRun<TParameters> : JobRun, IJobContext<TParameters>
{
    private readonly IJobDefinition<TParameters> _definition;

    public JobRun(JobEngine engine, JobRecord job, JobLease lease, TParameters parameters, IJobDefinition<TParameters> definition, JsonSerializerOptions serializerOptions)
        : base(engine, job, lease, serializerOptions)
    {
        Parameters = parameters;
        _definition = definition;
    }

    public TParameters Parameters { get; }

    public override ValueTask ExecuteAsync() => _definition.ExecuteAsync(this);
}
