namespace JobTracking.TestSupport;

/// <summary>What every row of the fault matrix must show, on every store.</summary>
public static class FaultMatrixAssertions
{
    public static void ShouldKeepEveryPromise(this FaultRunResult result, FaultScenario row, int jobs)
    {
        result.Acknowledged.Should().Be(jobs, "the callers retry refused starts until each is acknowledged");
        result.Lost.Should().Be(0, "no acknowledged job is lost: {0}", result.OtherOutcomes);
        result.Duplicated.Should().Be(0, "no job finishes twice or runs a step twice");
        if (row.Outcome == JobStatus.Completed)
        {
            result.CompletedExactlyOnce.Should().Be(jobs, "every job completes, once: {0}", result.OtherOutcomes);
        }
        else
        {
            result.EndedOtherwise.Should().Be(jobs, "every job ends {0}, once", row.Outcome);
            result.OtherOutcomes.Should().StartWith($"{jobs} {row.Outcome}: ", "each job's error names the call the store refused").And.Contain("failed for good");
        }

        if (row.KeepsEveryLogLine)
        {
            result.MissingLogLines.Should().Be(0, "transient faults delay log lines, never drop them");
        }

        if (row.Name != "no fault")
        {
            result.FaultsInjected.Should().BePositive("the fault was in force while jobs ran");
        }

        if (row.Window is not null)
        {
            result.BacklogDrainedAfterFault.Should().NotBeNull("every job started before the fault ended finishes");
            if (result.AcknowledgedAfterFault > 0)
            {
                result.FirstFinishAfterFault.Should().NotBeNull("jobs finish again once the fault is over");
            }
        }
    }
}
