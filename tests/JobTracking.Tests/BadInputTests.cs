using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace JobTracking.Tests;

public sealed class BadInputTests
{
    [Fact]
    public async Task StartAsync_NullParameters_ThrowsAndCreatesNothing()
    {
        await using var host = TestHost.Create();

        var error = (await host.Invoking(h => h.Runner.StartAsync<StepParameters?>(nameof(StepJob), null).AsTask())
            .Should().ThrowAsync<JobParametersException>()).Which;

        error.Message.Should().Contain(nameof(StepJob)).And.Contain("required");
        (await host.Tracker.ListAsync(new JobQuery())).Items.Should().BeEmpty();
    }

    [Fact]
    public async Task StartAsync_OutOfRangeParameter_NamesTheFieldAndCreatesNothing()
    {
        await using var host = TestHost.Create();

        var error = (await host.Invoking(h => h.StartStepJobAsync(new StepParameters { Steps = -1 }).AsTask())
            .Should().ThrowAsync<JobParametersException>()).Which;

        error.Errors.Should().ContainSingle().Which.Field.Should().Be(nameof(StepParameters.Steps));
        error.Message.Should().Contain("Steps");
        (await host.Tracker.ListAsync(new JobQuery())).Items.Should().BeEmpty();
    }

    [Fact]
    public async Task StartAsync_DefinitionValidationFails_NamesTheField()
    {
        await using var host = TestHost.Create();

        var error = (await host.Invoking(h => h.StartStepJobAsync(new StepParameters { Steps = 2, FailAt = 5 }).AsTask())
            .Should().ThrowAsync<JobParametersException>()).Which;

        error.Errors.Should().ContainSingle().Which.Should().Be(new JobParameterError("FailAt", "must be below Steps (2)."));
    }

    [Fact]
    public async Task StartAsync_WrongParameterType_SaysWhichTypeWasExpected()
    {
        await using var host = TestHost.Create();

        await host.Invoking(h => h.Runner.StartAsync(nameof(StepJob), "not parameters").AsTask())
            .Should().ThrowAsync<JobParametersException>().WithMessage($"*{typeof(StepParameters).FullName}*System.String*");
    }

    [Fact]
    public async Task StartAsync_UnknownJobType_ListsTheRegisteredOnes()
    {
        await using var host = TestHost.Create();

        var error = (await host.Invoking(h => h.Runner.StartAsync("NoSuchJob", new StepParameters()).AsTask())
            .Should().ThrowAsync<UnknownJobTypeException>()).Which;

        error.TypeName.Should().Be("NoSuchJob");
        error.Message.Should().Contain("'NoSuchJob'").And.Contain("'StepJob'").And.Contain("'OtherJob'");
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task StartAsync_BlankDisplayName_IsRefused(string displayName)
    {
        await using var host = TestHost.Create();

        await host.Invoking(h => h.StartStepJobAsync(new StepParameters(), new JobStartOptions { DisplayName = displayName }).AsTask())
            .Should().ThrowAsync<ArgumentException>().WithMessage("*DisplayName*");
    }

    [Fact]
    public async Task StartAsync_OverlongTextOrPriority_IsRefused()
    {
        await using var host = TestHost.Create();

        await host.Invoking(h => h.StartStepJobAsync(new StepParameters(), new JobStartOptions { LaunchedBy = new string('x', 501) }).AsTask())
            .Should().ThrowAsync<ArgumentException>().WithMessage("*LaunchedBy*500*");
        await host.Invoking(h => h.StartStepJobAsync(new StepParameters(), new JobStartOptions { Priority = 1001 }).AsTask())
            .Should().ThrowAsync<ArgumentOutOfRangeException>().WithMessage("*Priority*");
        (await host.Tracker.ListAsync(new JobQuery())).Items.Should().BeEmpty();
    }

    [Fact]
    public async Task StartAsync_SqlAndHtmlInText_AreStoredVerbatim()
    {
        await using var host = TestHost.Create();
        const string text = "'; DROP TABLE jobs; -- <script>alert(1)</script>";

        var id = await host.StartStepJobAsync(new StepParameters(), new JobStartOptions { DisplayName = text, LaunchedBy = text });

        var job = await host.Tracker.GetAsync(id);
        job.DisplayName.Should().Be(text);
        job.LaunchedBy.Should().Be(text);
        (await host.Tracker.ListAsync(new JobQuery { Text = "DROP TABLE" })).Items.Should().ContainSingle();
    }

    [Theory]
    [InlineData("StartAsync", "jobType")]
    [InlineData("StartManyAsync", "jobType")]
    [InlineData("StartManyAsync list", "parameters")]
    [InlineData("CreateDraftAsync", "jobType")]
    [InlineData("WaitForStatusAsync", "statuses")]
    [InlineData("ListAsync", "query")]
    [InlineData("ExportRejectsCsvAsync", "writer")]
    [InlineData("Subscribe", "handler")]
    public async Task NullArgument_IsRefusedNamingIt_AndStoresNothing(string call, string parameter)
    {
        await using var host = TestHost.Create();
        var draft = await host.Runner.CreateDraftAsync(nameof(StepJob), new StepParameters());
        Func<Task> act = call switch
        {
            "StartAsync" => () => host.Runner.StartAsync(null!, new StepParameters()).AsTask(),
            "StartManyAsync" => () => host.Runner.StartManyAsync(null!, [new StepParameters()]).AsTask(),
            "StartManyAsync list" => () => host.Runner.StartManyAsync(nameof(StepJob), (IReadOnlyList<StepParameters>)null!).AsTask(),
            "CreateDraftAsync" => () => host.Runner.CreateDraftAsync(null!, new StepParameters()).AsTask(),
            "WaitForStatusAsync" => () => host.Runner.WaitForStatusAsync(draft, (IReadOnlyCollection<JobStatus>)null!),
            "ListAsync" => () => host.Tracker.ListAsync(null!).AsTask(),
            "ExportRejectsCsvAsync" => () => host.Tracker.ExportRejectsCsvAsync(draft, null!),
            _ => () => Task.FromResult(host.Events.Subscribe((Action<JobEvent>)null!)),
        };

        (await act.Should().ThrowAsync<ArgumentNullException>()).Which.ParamName.Should().Be(parameter);
        (await host.Tracker.ListAsync(new JobQuery())).Items.Should().ContainSingle().Which.Id.Should().Be(draft);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task BlankJobType_IsRefusedNamingIt_AndStoresNothing(string jobType)
    {
        await using var host = TestHost.Create();

        await host.Invoking(h => h.Runner.StartAsync(jobType, new StepParameters()).AsTask()).Should().ThrowAsync<ArgumentException>().WithParameterName("jobType");
        await host.Invoking(h => h.Runner.CreateDraftAsync(jobType, new StepParameters()).AsTask()).Should().ThrowAsync<ArgumentException>().WithParameterName("jobType");
        await host.Invoking(h => h.Runner.StartManyAsync(jobType, [new StepParameters()]).AsTask()).Should().ThrowAsync<ArgumentException>().WithParameterName("jobType");
        (await host.Tracker.ListAsync(new JobQuery())).Items.Should().BeEmpty();
    }

    [Theory]
    [InlineData("DisplayName", "")]
    [InlineData("DisplayName", " \t\r\n")]
    [InlineData("DisplayName", "1 MB")]
    [InlineData("LaunchedBy", "")]
    [InlineData("LaunchedBy", "   ")]
    [InlineData("LaunchedBy", "1 MB")]
    [InlineData("ConcurrencyKey", "")]
    [InlineData("ConcurrencyKey", "   ")]
    [InlineData("ConcurrencyKey", "1 MB")]
    public async Task StartOptions_EmptyBlankOrOneMegabyteText_IsRefusedNamingTheField_AndStoresNothing(string field, string text)
    {
        await using var host = TestHost.Create();
        var value = text == "1 MB" ? Megabyte : text;
        var draft = await host.Runner.CreateDraftAsync(nameof(StepJob), new StepParameters(), new JobStartOptions { DisplayName = "draft" });
        var before = await host.Store.GetAsync(draft);
        var options = field switch
        {
            "DisplayName" => new JobStartOptions { DisplayName = value },
            "LaunchedBy" => new JobStartOptions { LaunchedBy = value },
            _ => new JobStartOptions { ConcurrencyKey = value },
        };
        var calls = new List<Func<Task>>
        {
            () => host.Runner.StartAsync(nameof(StepJob), new StepParameters(), options).AsTask(),
            () => host.Runner.CreateDraftAsync(nameof(StepJob), new StepParameters(), options).AsTask(),
            () => host.Runner.StartManyAsync(nameof(StepJob), [new StepParameters()], options).AsTask(),
            () => host.Runner.Job<StepJob>().StartAsync(new StepParameters(), options).AsTask(),
        };
        if (field == "DisplayName")
        {
            calls.Add(() => host.Runner.UpdateDraftAsync(draft, new StepParameters(), value).AsTask());
        }

        foreach (var call in calls)
        {
            var error = (await call.Should().ThrowAsync<ArgumentException>()).Which;
            error.ParamName.Should().BeOneOf(field, "displayName");
            error.Message.Should().Contain("must be 1 to 500 characters and not blank").And.Contain($"it has {value.Length}.");
            error.Message.Length.Should().BeLessThan(200, "the text itself is not quoted");
        }

        (await host.Tracker.ListAsync(new JobQuery())).Items.Should().ContainSingle();
        (await host.Store.GetAsync(draft)).Should().BeEquivalentTo(before, "a refused edit changes nothing");
    }

    [Fact]
    public async Task UnknownJobType_OneMegabyteName_IsNamedInPart_AndNothingIsStored()
    {
        await using var host = TestHost.Create();

        var error = (await host.Invoking(h => h.Runner.StartAsync(Megabyte, new StepParameters()).AsTask()).Should().ThrowAsync<UnknownJobTypeException>()).Which;

        error.TypeName.Should().Be(Megabyte);
        error.Message.Should().StartWith($"Job type '{Megabyte[..100]}…' (1048576 characters) is not registered.").And.Contain("'StepJob'");
        error.Message.Length.Should().BeLessThan(300);
        await host.Invoking(h => h.Runner.CreateDraftAsync("NoSuchJob", new StepParameters()).AsTask()).Should().ThrowAsync<UnknownJobTypeException>().WithMessage("*'NoSuchJob'*");
        await host.Invoking(h => h.Runner.StartManyAsync("NoSuchJob", [new StepParameters()]).AsTask()).Should().ThrowAsync<UnknownJobTypeException>().WithMessage("*'NoSuchJob'*");
        (await host.Tracker.ListAsync(new JobQuery())).Items.Should().BeEmpty();
    }

    [Fact]
    public async Task UpdateDraftAsync_InvalidParameters_NameTheFieldAndChangeNothing()
    {
        await using var host = TestHost.Create();
        var draft = await host.Runner.CreateDraftAsync(nameof(StepJob), new StepParameters { Steps = 2 }, new JobStartOptions { DisplayName = "draft" });
        var before = await host.Store.GetAsync(draft);

        (await host.Invoking(h => h.Runner.UpdateDraftAsync(draft, new StepParameters { Steps = -1 }, "renamed").AsTask())
            .Should().ThrowAsync<JobParametersException>()).Which.Errors.Should().ContainSingle().Which.Field.Should().Be(nameof(StepParameters.Steps));
        await host.Invoking(h => h.Runner.UpdateDraftAsync(draft, new StepParameters { Steps = 1, FailAt = 4 }).AsTask())
            .Should().ThrowAsync<JobParametersException>().WithMessage("*FailAt: must be below Steps (1).*");
        await host.Invoking(h => h.Runner.UpdateDraftAsync<StepParameters?>(draft, null).AsTask())
            .Should().ThrowAsync<JobParametersException>().WithMessage("*StepJob*required*");
        await host.Invoking(h => h.Runner.UpdateDraftAsync(draft, "not parameters").AsTask())
            .Should().ThrowAsync<JobParametersException>().WithMessage($"*{typeof(StepParameters).FullName}*System.String*");

        (await host.Store.GetAsync(draft)).Should().BeEquivalentTo(before, "a refused edit changes nothing");
    }

    [Fact]
    public async Task UnknownJobId_EveryReadAndCommand_ThrowsNotFoundNamingTheId()
    {
        await using var host = TestHost.Create();
        var id = Guid.NewGuid();

        foreach (var call in new Func<Task>[]
        {
            () => host.Tracker.GetAsync(id).AsTask(),
            () => host.Tracker.GetLogAsync(id).AsTask(),
            () => host.Tracker.GetRejectsAsync(id).AsTask(),
            () => host.Tracker.ExportRejectsCsvAsync(id, TextWriter.Null),
            () => host.Runner.WaitForCompletionAsync(id),
            () => host.Runner.UpdateDraftAsync(id, new StepParameters()).AsTask(),
            () => host.Runner.SubmitAsync(id).AsTask(),
            () => host.Runner.PauseAsync(id).AsTask(),
            () => host.Runner.ResumeAsync(id).AsTask(),
            () => host.Runner.CancelAsync(id).AsTask(),
            () => host.Runner.RestartAsync(id).AsTask(),
        })
        {
            (await call.Should().ThrowAsync<JobNotFoundException>()).Which.Should().Match<JobNotFoundException>(e => e.JobId == id && e.Message.Contains(id.ToString()));
        }

        (await host.Tracker.ListAsync(new JobQuery())).Items.Should().BeEmpty();
    }

    [Fact]
    public async Task StartAsync_ParametersWithALoneSurrogate_AreWrittenWithTheReplacementCharacter()
    {
        await using var host = TestHost.Create(configure: b => b.AddJob<ImportJob>());

        var id = await host.Runner.Job<ImportJob>().StartAsync(new ImportParameters { Rows = ["lone \uD800 high", "pair 😀"] });

        var job = await host.Tracker.GetAsync(id);
        System.Text.Json.JsonSerializer.Deserialize<ImportParameters>(job.Parameters, System.Text.Json.JsonSerializerOptions.Web)!.Rows
            .Should().Equal("lone \uFFFD high", "pair 😀");
    }

    public static TheoryData<string, Type, string> ContextMisuses() => new()
    {
        { "LogAsync null", typeof(ArgumentNullException), "message" },
        { "RejectAsync null record", typeof(ArgumentNullException), "rawRecord" },
        { "RejectAsync blank reason", typeof(ArgumentException), "reason" },
        { "RejectAsync negative number", typeof(ArgumentOutOfRangeException), "recordNumber" },
        { "BeginStep blank", typeof(ArgumentException), "name" },
        { "BeginStep 201 characters", typeof(ArgumentException), "name" },
        { "DefineSteps null", typeof(ArgumentNullException), "names" },
        { "ReportProgress negative", typeof(ArgumentOutOfRangeException), "done" },
    };

    [Theory]
    [MemberData(nameof(ContextMisuses))]
    public async Task Context_BadArgument_FailsTheJobNamingIt_AndOtherJobsRun(string misuse, Type expected, string parameter)
    {
        await using var host = await TestHost.Create(configure: b => b.AddJob<MisuseJob>()).StartAsync();

        var id = await host.Runner.Job<MisuseJob>().StartAsync(new MisuseParameters(misuse));
        var job = await host.WaitAsync(id, JobStatus.Failed);

        job.Error!.Type.Should().Be(expected.FullName);
        job.Error.Message.Should().Contain($"'{parameter}'");
        var other = await host.StartStepJobAsync(new StepParameters { Steps = 1 });
        await host.WaitAsync(other, JobStatus.Completed);
    }

    [Fact]
    public async Task QueueCapacity_Reached_ThrowsQueueFullAndCreatesNothing()
    {
        await using var host = TestHost.Create(store: TestHost.CreateMemoryStore(capacity: 2));
        await host.StartStepJobAsync(new StepParameters());
        await host.StartStepJobAsync(new StepParameters());

        await host.Invoking(h => h.StartStepJobAsync(new StepParameters()).AsTask())
            .Should().ThrowAsync<JobQueueFullException>().WithMessage("*2 queued jobs*");
        (await host.Tracker.ListAsync(new JobQuery())).Items.Should().HaveCount(2);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(JobQuery.MaxPageSize + 1)]
    public async Task ListAsync_PageSizeOutOfRange_Throws(int pageSize)
    {
        await using var host = TestHost.Create();
        await host.Invoking(h => h.Tracker.ListAsync(new JobQuery { PageSize = pageSize }).AsTask())
            .Should().ThrowAsync<ArgumentOutOfRangeException>().WithMessage("*PageSize*");
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("123_nothex")]
    [InlineData("_0123456789abcdef0123456789abcdef")]
    public async Task ListAsync_MalformedPageToken_Throws(string token)
    {
        await using var host = TestHost.Create();
        await host.Invoking(h => h.Tracker.ListAsync(new JobQuery { PageToken = token }).AsTask())
            .Should().ThrowAsync<ArgumentException>().WithMessage("*page token*malformed*");
    }

    [Theory]
    [InlineData("MaxConcurrency", "0")]
    [InlineData("QueueCapacity", "0")]
    [InlineData("MaxFinishedJobsInMemory", "0")]
    [InlineData("MaxFinishedJobsInMemory", "100000001")]
    [InlineData("ClaimBatchSize", "5000")]
    [InlineData("ShutdownGracePeriod", "-00:00:01")]
    [InlineData("PollInterval", "00:00:00")]
    [InlineData("NodeName", " ")]
    [InlineData("LeaseDuration", "00:00:00.500")]
    [InlineData("LeaseDuration", "02:00:00")]
    [InlineData("HeartbeatInterval", "00:00:06")] // more than a third of the default 15 s lease
    [InlineData("HeartbeatInterval", "00:00:00.050")]
    [InlineData("ForgetInstancesAfter", "00:00:30")] // not more than three 10 s leases
    [InlineData("ForgetInstancesAfter", "31.00:00:00")]
    [InlineData("TransientRetryCount", "101")]
    [InlineData("TransientRetryDelay", "00:00:00")]
    [InlineData("TransientRetryMaxDelay", "00:00:00.050")] // below the 100 ms first delay
    public async Task HostStart_OptionOutOfRange_FailsNamingTheOption(string option, string value)
    {
        await using var host = TestHost.Create(o =>
        {
            switch (option)
            {
                case "MaxConcurrency": o.MaxConcurrency = int.Parse(value); break;
                case "QueueCapacity": o.QueueCapacity = int.Parse(value); break;
                case "MaxFinishedJobsInMemory": o.MaxFinishedJobsInMemory = int.Parse(value); break;
                case "ClaimBatchSize": o.ClaimBatchSize = int.Parse(value); break;
                case "ShutdownGracePeriod": o.ShutdownGracePeriod = TimeSpan.Parse(value); break;
                case "PollInterval": o.PollInterval = TimeSpan.Parse(value); break;
                case "NodeName": o.NodeName = value; break;
                case "LeaseDuration": o.LeaseDuration = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
                case "HeartbeatInterval": o.HeartbeatInterval = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
                case "ForgetInstancesAfter": o.LeaseDuration = TimeSpan.FromSeconds(10); o.ForgetInstancesAfter = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
                case "TransientRetryCount": o.TransientRetryCount = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
                case "TransientRetryDelay": o.TransientRetryDelay = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
                case "TransientRetryMaxDelay": o.TransientRetryMaxDelay = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            }
        });

        var error = (await host.Invoking(h => h.StartAsync()).Should().ThrowAsync<OptionsValidationException>()).Which;
        error.Message.Should().Contain($"JobTracking:{option}");
    }

    [Fact]
    public async Task HostStart_TypeLimitForUnknownType_FailsNamingIt()
    {
        await using var host = TestHost.Create(o => o.JobTypeConcurrency["Typo"] = 1);

        await host.Invoking(h => h.StartAsync()).Should().ThrowAsync<OptionsValidationException>().WithMessage("*'Typo'*not a registered job type*");
    }

    [Fact]
    public async Task HostStart_TypeLimitAboveGlobalLimit_FailsNamingIt()
    {
        await using var host = TestHost.Create(o => o.JobTypeConcurrency[nameof(StepJob)] = 99);

        await host.Invoking(h => h.StartAsync()).Should().ThrowAsync<OptionsValidationException>().WithMessage("*JobTypeConcurrency:StepJob is 99*");
    }

    [Fact]
    public void AddJob_TypeWithoutGenericDefinition_Throws()
    {
        var services = new ServiceCollection();
        var act = () => services.AddJobTracking(b => b.AddJob<NotAJob>());
        act.Should().Throw<ArgumentException>().WithMessage("*NotAJob*IJobDefinition<TParameters>*");
    }

    [Fact]
    public async Task AddJobTracking_CalledTwice_RegistersOnce()
    {
        var services = new ServiceCollection();
        services.AddSingleton(new Probe());
        services.AddJobTracking(b => b.AddJob<StepJob>());
        services.AddJobTracking(b => b.AddJob<StepJob>());
        await using var provider = services.BuildServiceProvider();

        provider.GetServices<Microsoft.Extensions.Hosting.IHostedService>().Should().ContainSingle();
        var runner = provider.GetRequiredService<IJobRunner>();
        var id = await runner.StartAsync(nameof(StepJob), new StepParameters());
        (await provider.GetRequiredService<IJobTracker>().GetAsync(id)).Status.Should().Be(JobStatus.Queued);
    }

    [Fact]
    public async Task ServiceProvider_DisposedSynchronously_DoesNotThrow()
    {
        var services = new ServiceCollection();
        services.AddSingleton(new Probe());
        services.AddJobTracking(b => b.AddJob<StepJob>());
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<IJobRunner>().StartAsync(nameof(StepJob), new StepParameters());
        _ = provider.GetServices<Microsoft.Extensions.Hosting.IHostedService>().ToList();

        provider.Invoking(p => p.Dispose()).Should().NotThrow();
    }

    private static readonly string Megabyte = new('x', 1 << 20);

    private sealed class NotAJob : IJobDefinition
    {
        public string TypeName => "x";

        public string DisplayName => "x";

        public Type ParametersType => typeof(object);
    }
}

public sealed record MisuseParameters(string Misuse);

/// <summary>Calls its context with the bad argument its parameters name.</summary>
public sealed class MisuseJob : JobDefinition<MisuseParameters>
{
    public override async ValueTask ExecuteAsync(IJobContext<MisuseParameters> context)
    {
        switch (context.Parameters.Misuse)
        {
            case "LogAsync null": await context.LogAsync(Microsoft.Extensions.Logging.LogLevel.Information, null!); break;
            case "RejectAsync null record": await context.RejectAsync(1, null!, "reason"); break;
            case "RejectAsync blank reason": await context.RejectAsync(1, "record", " "); break;
            case "RejectAsync negative number": await context.RejectAsync(-1, "record", "reason"); break;
            case "BeginStep blank": context.BeginStep(""); break;
            case "BeginStep 201 characters": context.BeginStep(new string('s', 201)); break;
            case "DefineSteps null": context.DefineSteps(null!); break;
            default: context.ReportProgress(-1); break;
        }
    }
}
