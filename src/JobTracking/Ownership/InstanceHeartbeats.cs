using System.Reflection;
using JobTracking.Running;
using JobTracking.Storage;
using Microsoft.Extensions.Logging;

namespace JobTracking.Ownership;

/// <summary>
/// This instance in the store's list of instances (<see cref="IJobInstanceStore"/>): a heartbeat every half lease
/// duration and whenever its count of running jobs changes, the silent ones forgotten, itself forgotten on a clean stop. A heartbeat the store fails is logged and sent
/// again at the next tick: it never stops a job.
/// </summary>
internal sealed class InstanceHeartbeats
{
    /// <summary>How many lease durations an instance may be silent and still count as answering: by then its leases have lapsed and its jobs are being reclaimed.</summary>
    public const int AnsweringLeases = 3;

    /// <summary>How many lease durations a silent instance is listed when <see cref="JobTrackingOptions.ForgetInstancesAfter"/> is not set.</summary>
    public const int DefaultForgetLeases = 30;

    private readonly JobEngine _engine;
    private readonly IJobInstanceStore? _store;
    private readonly ILogger _logger;
    // Only the heartbeat loop (and the start before it) beats.
    private long? _lastPurge;
    private long? _lastRecord;
    private int _lastRunning;

    public InstanceHeartbeats(JobEngine engine)
    {
        _engine = engine;
        _store = engine.Store as IJobInstanceStore;
        _logger = engine.LoggerFactory.CreateLogger<InstanceHeartbeats>();
    }

    /// <summary>Gets the version of the library this instance runs (without the source revision).</summary>
    public static string LibraryVersion { get; } = ReadVersion();

    /// <summary>Gets whether the store lists instances.</summary>
    public bool IsKept => _store is not null;

    /// <summary>Gets how long an instance may be silent and still answer.</summary>
    public TimeSpan AnsweringBound => _engine.Options.LeaseDuration * AnsweringLeases;

    /// <summary>Gets how long a silent instance is listed before it is forgotten.</summary>
    public TimeSpan ForgetBound => _engine.Options.ForgetInstancesAfter ?? _engine.Options.LeaseDuration * DefaultForgetLeases;

    /// <summary>Records this instance's heartbeat (every half lease duration, and when its count of running jobs changes), then, once per lease duration, forgets the instances silent past the bound; a failure is logged, never thrown.</summary>
    public async Task BeatAsync(CancellationToken cancellationToken)
    {
        if (_store is null)
        {
            return;
        }

        try
        {
            // An instance answers while its row is younger than three lease durations: a row written every half lease,
            // and whenever its count of running jobs changes, keeps it answering and its count current, and an idle
            // instance sends one write per half lease, not one per heartbeat.
            var now = _engine.TimeProvider.GetTimestamp();
            var running = _engine.Runs.Count;
            if (_lastRecord is not { } recorded || running != _lastRunning || _engine.TimeProvider.GetElapsedTime(recorded, now) >= _engine.Options.LeaseDuration / 2)
            {
                await _store.RecordHeartbeatAsync(
                    new JobInstanceHeartbeat
                    {
                        InstanceId = _engine.Instance.Id,
                        Node = _engine.Node,
                        Version = LibraryVersion,
                        MaxConcurrency = _engine.Options.MaxConcurrency,
                        RunningJobs = running,
                    },
                    cancellationToken).ConfigureAwait(false);
                (_lastRecord, _lastRunning) = (now, running);
            }

            // Forgetting is judged in lease durations (three at the least): once per lease is soon enough.
            if (_lastPurge is not { } last || _engine.TimeProvider.GetElapsedTime(last, now) >= _engine.Options.LeaseDuration)
            {
                var forgotten = await _store.PurgeInstancesAsync(ForgetBound, cancellationToken).ConfigureAwait(false);
                _lastPurge = now;
                if (forgotten > 0)
                {
                    Log.InstancesForgotten(_logger, forgotten, ForgetBound);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.InstanceHeartbeatFailed(_logger, ex);
        }
    }

    /// <summary>Takes this instance off the list as it stops cleanly; a failure is logged (the others forget it once it is silent long enough).</summary>
    public async Task ForgetAsync(CancellationToken cancellationToken)
    {
        if (_store is null)
        {
            return;
        }

        try
        {
            await _store.RemoveInstanceAsync(_engine.Instance.Id, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.InstanceRemovalFailed(_logger, ex);
        }
    }

    /// <summary>Lists the instances, by node name then id, each judged answering or not by the store's clock.</summary>
    /// <exception cref="JobTrackingException">The store does not list instances.</exception>
    public async ValueTask<IReadOnlyList<JobInstanceInfo>> ListAsync(CancellationToken cancellationToken)
    {
        var store = _store ?? throw new JobTrackingException(
            $"The job store {_engine.Store.GetType().FullName} keeps no list of instances: it does not implement IJobInstanceStore. Use a store that does " +
            "(in memory, SQLite, PostgreSQL).");
        var list = await store.GetInstancesAsync(cancellationToken).ConfigureAwait(false);
        var answering = AnsweringBound;
        var self = _engine.Instance.Id;
        return [.. list.Instances
            .Select(i =>
            {
                var silent = list.Now - i.HeartbeatAt;
                return new JobInstanceInfo
                {
                    InstanceId = i.InstanceId,
                    Node = i.Node,
                    Version = i.Version,
                    StartedAt = i.StartedAt,
                    LastHeartbeatAt = i.HeartbeatAt,
                    SilentFor = silent < TimeSpan.Zero ? TimeSpan.Zero : silent,
                    IsAnswering = silent <= answering,
                    MaxConcurrency = i.MaxConcurrency,
                    RunningJobs = i.RunningJobs,
                    IsCurrent = string.Equals(i.InstanceId, self, StringComparison.Ordinal),
                };
            })
            .OrderBy(i => i.Node, StringComparer.Ordinal)
            .ThenBy(i => i.InstanceId, StringComparer.Ordinal)];
    }

    private static string ReadVersion()
    {
        var assembly = typeof(InstanceHeartbeats).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString() ?? "unknown";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }
}
