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

    private sealed class NotAJob : IJobDefinition
    {
        public string TypeName => "x";

        public string DisplayName => "x";

        public Type ParametersType => typeof(object);
    }
}
