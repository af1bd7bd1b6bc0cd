using Kit = JobTracking.Testing.JobStoreConformanceTests;

namespace JobTracking.Testing.Tests;

/// <summary>Every broken store, each with the rule it breaks and the kit tests written for that rule.</summary>
internal static class BrokenStores
{
    public static IReadOnlyList<BrokenStore> All { get; } =
    [
        // IJobStore.TryTransitionAsync and JobTransition.
        BrokenStore.Of<TransitionIgnoringExpectedVersion>("A transition applies only if the job still has the expected version.", nameof(Kit.Transition_StaleVersionOrStatus_Loses)),
        BrokenStore.Of<TransitionIgnoringFromStatus>("A transition applies only if the job still has the expected status.", nameof(Kit.Transition_OtherStatusAtTheExpectedVersion_Loses)),
        BrokenStore.Of<TransitionNotRaisingVersion>("A transition raises the version by one.", nameof(Kit.Transition_AppliesFieldsAndRaisesVersion)),
        BrokenStore.Of<TransitionApplyingIllegalMoves>("A move the lifecycle does not allow throws ArgumentException.", nameof(Kit.Transition_IllegalMove_Throws)),
        BrokenStore.Of<TransitionNotEndingCompletedJobs>("A move to Completed, Cancelled or Failed sets EndedAt.", nameof(Kit.Transition_ToCompletedOrCancelled_SetsEndedAt)),
        BrokenStore.Of<TransitionKeepingEndedAtOnRequeue>("A move to Queued clears EndedAt.", nameof(Kit.Transition_AppliesFieldsAndRaisesVersion)),
        BrokenStore.Of<TransitionDroppingError>("A move to Failed stores the transition's error.", nameof(Kit.Transition_AppliesFieldsAndRaisesVersion)),
        BrokenStore.Of<TransitionIgnoringCheckpoint>("A transition with HasCheckpoint stores its checkpoint.", nameof(Kit.Transition_AppliesFieldsAndRaisesVersion)),
        BrokenStore.Of<TransitionIgnoringNewAttempt>("A transition with IsNewAttempt raises the attempt and clears StartedAt and Error.", nameof(Kit.Transition_AppliesFieldsAndRaisesVersion)),
        BrokenStore.Of<TransitionDroppingReport>("A transition with a report stores the progress, steps and warnings count.", nameof(Kit.Writes_WithAStaleClaim_AreRefused)),
        BrokenStore.Of<TransitionKeepingTheClaim>("A job leaving the active statuses loses its claim, owner and lease.", nameof(Kit.Writes_WithAStaleClaim_AreRefused)),
        BrokenStore.Of<TransitionCheckThenWrite>("A transition is one atomic compare-and-set: of racing writers exactly one wins.", nameof(Kit.Transition_RacingWriters_ExactlyOneWins), nameof(Kit.Transition_RacingWritersReleasedTogether_ExactlyOneWins)),

        // IJobHistoryStore.
        BrokenStore.Of<HistoryStoredAsLogLines>("History entries are kept apart from log lines and read back as history.", nameof(Kit.History_AppendedInOrder_ReadBackPagedApartFromTheLog)),
        BrokenStore.Of<HistoryOrderedByTime>("A job's history is read back in the order appended, not the order of its times.", nameof(Kit.History_AppendedInOrder_ReadBackPagedApartFromTheLog)),
        BrokenStore.Of<HistoryKeptAfterPurge>("Purge deletes a job's history with the job.", nameof(Kit.History_IsPurgedWithItsJob)),

        // IJobInstanceStore.
        BrokenStore.Of<InstanceHeartbeatResettingStart>("A heartbeat keeps the instance's start, the time of its first heartbeat.", nameof(Kit.Instances_Heartbeat_UpsertsByTheStoreClock_KeepingTheStart)),
        BrokenStore.Of<InstanceHeartbeatByTheMachineClock>("A heartbeat is dated by the store's clock, never another.", nameof(Kit.Instances_Heartbeat_UpsertsByTheStoreClock_KeepingTheStart)),
        BrokenStore.Of<InstanceHeartbeatKeepingTheFirstFields>("A later heartbeat replaces the instance's fields.", nameof(Kit.Instances_Heartbeat_UpsertsByTheStoreClock_KeepingTheStart)),
        BrokenStore.Of<InstanceHeartbeatCheckThenInsert>("A heartbeat is one atomic upsert: racing heartbeats keep one row per instance.", nameof(Kit.Instances_RacingHeartbeatsReleasedTogether_KeepOneRowPerInstance)),
        BrokenStore.Of<InstanceListInArrivalOrder>("Instances are listed by id, ordinally.", nameof(Kit.Instances_Heartbeat_UpsertsByTheStoreClock_KeepingTheStart)),
        BrokenStore.Of<InstancePurgeTakingTheBoundary>("A purge forgets only the instances silent for strictly longer than the bound.", nameof(Kit.Instances_Purge_ForgetsOnlyThoseSilentLongerThanTheBound)),
        BrokenStore.Of<InstanceRemoveForgettingAll>("Removing an instance forgets that instance alone.", nameof(Kit.Instances_Remove_ForgetsOnlyThatInstance)),

        // IJobScheduleStore.
        BrokenStore.Of<ScheduleSaveIgnoringVersion>("A schedule update applies only when the stored schedule has the version before.", nameof(Kit.Schedules_Update_NeedsThePreviousVersion), nameof(Kit.Schedules_RacingSavesReleasedTogether_ExactlyOneWins)),
        BrokenStore.Of<ScheduleCreateOverwriting>("A schedule create applies only when no schedule has its id.", nameof(Kit.Schedules_CreateWhenTheIdIsHeld_IsRefused), nameof(Kit.Schedules_RacingSavesReleasedTogether_ExactlyOneWins)),
        BrokenStore.Of<ScheduleSaveCheckThenWrite>("A schedule save is one atomic compare-and-set: of racing savers exactly one wins.", nameof(Kit.Schedules_RacingSavesReleasedTogether_ExactlyOneWins)),
        BrokenStore.Of<ScheduleListInInsertionOrder>("Schedules are listed by id, ordinally.", nameof(Kit.Schedules_List_IsOrderedByIdOrdinal)),
        BrokenStore.Of<ScheduleListInCultureOrder>("Schedules are listed by id, ordinally, not by a culture's rules.", nameof(Kit.Schedules_List_IsOrderedByIdOrdinal)),
        BrokenStore.Of<ScheduleTextTrimmed>("A schedule's text round-trips exactly, spaces included.", nameof(Kit.Schedules_SaveThenGet_RoundTripsEveryField)),
        BrokenStore.Of<ScheduleTextCutAtNul>("A schedule's text round-trips exactly, NUL included.", nameof(Kit.Schedules_SaveThenGet_RoundTripsEveryField)),
        BrokenStore.Of<ScheduleTimesToTheSecond>("A schedule's times round-trip to the microsecond.", nameof(Kit.Schedules_SaveThenGet_RoundTripsEveryField)),
        BrokenStore.Of<ScheduleDroppingFlags>("A schedule's paused flag, misfire and overlap rules round-trip.", nameof(Kit.Schedules_SaveThenGet_RoundTripsEveryField)),
        BrokenStore.Of<ScheduleDeleteIgnoringVersion>("A schedule delete applies only with the stored version.", nameof(Kit.Schedules_Delete_NeedsTheVersion)),

        // IJobStore.ClaimAsync.
        BrokenStore.Of<ClaimCheckThenWrite>("Concurrent claimers never get the same job.", nameof(Kit.Claim_ConcurrentClaimers_NeverShareAJob), nameof(Kit.Claim_RacingClaimersReleasedTogether_EachJobOnce)),
        BrokenStore.Of<ClaimIgnoringPriority>("Claims take the highest priority first.", nameof(Kit.Claim_HighestPriorityThenOldest_UpToMaxCount)),
        BrokenStore.Of<ClaimNewestFirst>("Claims take the job queued first among equal priorities.", nameof(Kit.Claim_HighestPriorityThenOldest_UpToMaxCount)),
        BrokenStore.Of<ClaimInCreationOrder>("Queue order is the order jobs entered Queued, each time they entered it, not their creation time.", nameof(Kit.Claim_RequeuedJob_WaitsBehindJobsQueuedBeforeIt)),
        BrokenStore.Of<ClaimIgnoringMaxCount>("A claim takes at most MaxCount jobs.", nameof(Kit.Claim_HighestPriorityThenOldest_UpToMaxCount)),
        BrokenStore.Of<ClaimIgnoringTypeLimits>("A claim takes at most TypeLimits[type] jobs of a listed type.", nameof(Kit.Claim_TypeLimits_CapEachType)),
        BrokenStore.Of<ClaimIgnoringConcurrencyKeys>("A job whose concurrency key is held by an active job is not claimed.", nameof(Kit.Claim_ConcurrencyKeyHeld_WaitsForTheHolderToEnd)),
        BrokenStore.Of<ClaimTakingHeldJobs>("Only queued jobs are claimed.", nameof(Kit.Claim_SkipsJobsThatLeftTheQueue)),
        BrokenStore.Of<ClaimWithoutClaimId>("A claim gives each job a claim id.", nameof(Kit.Claim_GivesClaimOwnerAndLeaseFromTheStoreClock)),
        BrokenStore.Of<ClaimLeasingByTheCallersClock>("Lease expiry is computed with the store's clock, never the caller's.", nameof(Kit.Claim_GivesClaimOwnerAndLeaseFromTheStoreClock)),
        BrokenStore.Of<ClaimIgnoringLeaseDuration>("A lease ends LeaseDuration after the store's now.", nameof(Kit.Claim_GivesClaimOwnerAndLeaseFromTheStoreClock)),
        BrokenStore.Of<ClaimStoringNodeAsOwner>("A claimed job's owner is the claiming instance's id.", nameof(Kit.Claim_GivesClaimOwnerAndLeaseFromTheStoreClock)),
        BrokenStore.Of<ClaimStoringInstanceAsNode>("A claimed job's node is the claiming node's name.", nameof(Kit.Transition_AppliesFieldsAndRaisesVersion)),
        BrokenStore.Of<ClaimStartingByTheStoreClock>("A claim stores the caller's At as the start time of a job that has none.", nameof(Kit.Transition_AppliesFieldsAndRaisesVersion)),
        BrokenStore.Of<ClaimOverwritingStartedAt>("A claim keeps the start time of a job that already has one.", nameof(Kit.Claim_AfterResume_KeepsStartedAt)),
        BrokenStore.Of<ClaimingToBeShared>("A store declares SharedAcrossProcesses only if several processes can share it.", nameof(Kit.TwoInstances_ClaimTogether_EachJobOnce)),

        // Ownership: fenced writes, progress, renewal, reclaim.
        BrokenStore.Of<TransitionIgnoringClaim>("A transition under a claim that is not the job's current one is refused.", nameof(Kit.Writes_WithAStaleClaim_AreRefused)),
        BrokenStore.Of<SaveProgressIgnoringClaim>("A progress save under a claim that is not the job's current one is refused.", nameof(Kit.Writes_WithAStaleClaim_AreRefused)),
        BrokenStore.Of<SaveProgressOnFinishedJobs>("A progress save on a job that is not active is refused.", nameof(Kit.SaveProgress_AfterTheJobEnded_IsRefused)),
        BrokenStore.Of<SaveProgressWithoutCheckpointReport>("A checkpoint and the report saved with it are kept together.", nameof(Kit.Writes_WithAStaleClaim_AreRefused)),
        BrokenStore.Of<SaveProgressIgnoringCheckpoint>("A progress save with HasCheckpoint stores its checkpoint.", nameof(Kit.CheckpointAndReport_RoundTripWithoutMovingTheJob)),
        BrokenStore.Of<SaveProgressRaisingVersion>("A progress save changes neither status nor version.", nameof(Kit.CheckpointAndReport_RoundTripWithoutMovingTheJob)),
        BrokenStore.Of<JournalIgnoringClaim>("A journal entry under a claim that is not the job's current one is not stored.", nameof(Kit.Writes_WithAStaleClaim_AreRefused)),
        BrokenStore.Of<RenewingStaleClaims>("A renewal extends only the listed claims that are still current.", nameof(Kit.RenewLeases_ExtendsOnlyCurrentClaims)),
        BrokenStore.Of<RenewingByAFixedDuration>("A renewed lease ends LeaseDuration after the store's now.", nameof(Kit.RenewLeases_ExtendsOnlyCurrentClaims)),
        BrokenStore.Of<RenewingFromTheOldExpiry>("A renewed lease ends LeaseDuration after the store's now, not after the old lease.", nameof(Kit.RenewLeases_ExtendsOnlyCurrentClaims)),
        BrokenStore.Of<ReclaimTakingLiveLeases>("Reclaim takes only expired leases unless IncludeLiveLeases is set.", nameof(Kit.Reclaim_TakesExpiredLeasesOnly)),
        BrokenStore.Of<ReclaimTakingOwnClaims>("Reclaim never takes the calling instance's own live claims.", nameof(Kit.Reclaim_IncludeLiveLeases_TakesOthersButNotMine)),
        BrokenStore.Of<ReclaimInterruptingCancellingJobs>("Reclaim moves Cancelling to Cancelled.", nameof(Kit.Reclaim_TakesExpiredLeasesOnly), nameof(Kit.Reclaim_Cancelling_EndsCancelled)),
        BrokenStore.Of<ReclaimKeepingTheClaim>("Reclaim clears the claim, so the old owner's late writes are refused.", nameof(Kit.Reclaim_TakesExpiredLeasesOnly)),
        BrokenStore.Of<ReclaimNotRaisingVersion>("Reclaim raises each job's version by one.", nameof(Kit.Reclaim_TakesExpiredLeasesOnly)),
        BrokenStore.Of<ReclaimEndingByTheStoreClock>("Reclaim stores the caller's At as the end time of jobs moved to Cancelled.", nameof(Kit.Reclaim_TakesExpiredLeasesOnly)),
        BrokenStore.Of<ReclaimWithoutPreviousOwner>("Reclaim reports the instance whose claim it took.", nameof(Kit.Reclaim_TakesExpiredLeasesOnly)),
        BrokenStore.Of<ReclaimIgnoringMaxCount>("Reclaim takes at most MaxCount jobs in one call.", nameof(Kit.Reclaim_TakesNoMoreThanMaxCount)),

        // Takeover: a reclaim leaves each job where its owner would have, and one that resumes keeps the job's place and key.
        BrokenStore.Of<ReclaimIgnoringResume>(
            "With Resume, a job taken from Running or ShuttingDown is queued again in the same step, and jobs found Interrupted are queued again.",
            nameof(Kit.Reclaim_WithResume_QueuesTheJobAgainInItsPlace_AheadOfJobsQueuedAfterIt),
            nameof(Kit.Reclaim_WithResume_QueuesInterruptedJobsAgainInTheirPlace)),
        BrokenStore.Of<ReclaimThenRequeueAtTheBack>(
            "A job queued again by a reclaim keeps its place in the queue, and its concurrency key passes to it in the same atomic step.",
            nameof(Kit.Reclaim_WithResume_QueuesTheJobAgainInItsPlace_AheadOfJobsQueuedAfterIt),
            nameof(Kit.Reclaim_WithResume_TheConcurrencyKeyPassesToTheTakenJob_NotToTheNextOfItsKey),
            nameof(Kit.Reclaim_WithResume_QueuesInterruptedJobsAgainInTheirPlace)),
        BrokenStore.Of<ReclaimQueueingPausingJobs>("A job reclaimed while Pausing ends Paused, even with Resume.", nameof(Kit.Reclaim_Pausing_EndsPausedWithItsCheckpoint)),

        // IJobJournalStore.
        BrokenStore.Of<JournalNumberingFromZero>("Entries are numbered per job and kind from 1.", nameof(Kit.Journal_AppendedInOrder_ReadBackPagedAndIntact)),
        BrokenStore.Of<JournalNumberingAcrossJobs>("Entries are numbered per job and kind, not across the store.", nameof(Kit.Journal_AppendedInOrder_ReadBackPagedAndIntact)),
        BrokenStore.Of<JournalNumberingKindsTogether>("Log lines and rejects are numbered apart.", nameof(Kit.Journal_AppendedInOrder_ReadBackPagedAndIntact)),
        BrokenStore.Of<JournalReversingBatches>("Entries are kept in the order appended.", nameof(Kit.Journal_AppendedInOrder_ReadBackPagedAndIntact)),
        BrokenStore.Of<JournalTruncatingText>("Journal text round-trips exactly, however long.", nameof(Kit.Journal_NulAndOneMegabyte_RoundTrip)),
        BrokenStore.Of<JournalStrippingNul>("Journal text round-trips exactly, NUL included.", nameof(Kit.Journal_NulAndOneMegabyte_RoundTrip)),
        BrokenStore.Of<JournalDroppingRejectReason>("A reject keeps its reason.", nameof(Kit.Journal_AppendedInOrder_ReadBackPagedAndIntact)),
        BrokenStore.Of<ReadLogIgnoringMinimumLevel>("A log read returns only lines at MinimumLevel or above.", nameof(Kit.Journal_AppendedInOrder_ReadBackPagedAndIntact)),
        BrokenStore.Of<JournalTokenOnFullLastPage>("A journal page has a next-page token only when another page follows.", nameof(Kit.Journal_LastPage_HasNoNextToken)),
        BrokenStore.Of<PurgeLeavingJournals>("Purge deletes jobs with their journals.", nameof(Kit.Purge_RemovesOnlyOldFinishedJobs)),

        // IJobQueryStore.
        BrokenStore.Of<QueryIgnoringStatuses>("A query keeps only the listed statuses.", nameof(Kit.Query_Filters_NarrowNewestFirst)),
        BrokenStore.Of<QueryIgnoringTypeName>("A query keeps only the given type.", nameof(Kit.Query_Filters_NarrowNewestFirst)),
        BrokenStore.Of<QueryIgnoringLaunchedBy>("A query keeps only the jobs launched by the given user.", nameof(Kit.Query_Filters_NarrowNewestFirst)),
        BrokenStore.Of<QueryIgnoringNode>("A query keeps only the given node's jobs.", nameof(Kit.Query_Filters_NarrowNewestFirst)),
        BrokenStore.Of<QueryIgnoringCreatedFrom>("A query keeps only jobs created at or after CreatedFrom.", nameof(Kit.Query_Filters_NarrowNewestFirst)),
        BrokenStore.Of<QueryIgnoringCreatedTo>("A query keeps only jobs created before CreatedTo.", nameof(Kit.Query_Filters_NarrowNewestFirst)),
        BrokenStore.Of<QueryIgnoringText>("A query keeps only jobs whose display name contains the text.", nameof(Kit.Query_Filters_NarrowNewestFirst)),
        BrokenStore.Of<QueryExcludingCreatedFrom>("CreatedFrom is inclusive.", nameof(Kit.Query_DateRange_KeepsItsStartAndLeavesItsEnd)),
        BrokenStore.Of<QueryIncludingCreatedTo>("CreatedTo is exclusive.", nameof(Kit.Query_Filters_NarrowNewestFirst)),
        BrokenStore.Of<QueryMatchingTextByCase>("The text filter ignores case.", nameof(Kit.Query_Filters_NarrowNewestFirst)),
        BrokenStore.Of<QueryOldestFirst>("Lists are newest first.", nameof(Kit.Query_Filters_NarrowNewestFirst)),
        BrokenStore.Of<QueryIgnoringPageSize>("A page holds at most PageSize jobs.", nameof(Kit.Query_KeysetPaging_ReturnsEachJobOnceWhileJobsArrive)),
        BrokenStore.Of<QueryTokenOnFullLastPage>("A next-page token is returned only when another page holds at least one job.", nameof(Kit.Query_LastPage_HasNoNextToken)),
        BrokenStore.Of<QueryRepeatingLastJob>("Keyset paging returns each job once.", nameof(Kit.Query_KeysetPaging_ReturnsEachJobOnceWhileJobsArrive)),
        BrokenStore.Of<QueryPagingByOffset>("Paging is by keyset, stable while newer jobs are added.", nameof(Kit.Query_KeysetPaging_ReturnsEachJobOnceWhileJobsArrive)),
        BrokenStore.Of<QueryAcceptingAnyToken>("A page token the store did not issue is refused with ArgumentException.", nameof(Kit.Query_BadArguments_AreRefused)),
        BrokenStore.Of<CountMergingTypes>("Counts come one row per (type, status) pair.", nameof(Kit.Count_TypesSharingAStatus_AreCountedApart)),
        BrokenStore.Of<PurgeIncludingTheCutOff>("Purge deletes jobs that ended strictly before the cut-off.", nameof(Kit.Purge_KeepsTheBoundaryAndHonoursMaxCount)),
        BrokenStore.Of<PurgeIgnoringMaxCount>("Purge deletes at most maxCount jobs.", nameof(Kit.Purge_KeepsTheBoundaryAndHonoursMaxCount)),
        BrokenStore.Of<PurgeByCreationTime>("Purge deletes only finished jobs, never an unfinished one.", nameof(Kit.Purge_RemovesOnlyOldFinishedJobs)),

        // Creating, reading and editing jobs.
        BrokenStore.Of<CreateIgnoringDuplicates>("A job with an id the store holds is refused with ArgumentException.", nameof(Kit.Create_DuplicateIdOrWrongStatus_IsRefused)),
        BrokenStore.Of<CreateRefusingItsOwnJob>("A create sent again finds the identical job and succeeds.", nameof(Kit.Create_SentAgainAfterItWasStored_SucceedsAndChangesNothing)),
        BrokenStore.Of<CreateIgnoringCreationTime>("A stored job with another creation time is another job: the create is refused.", nameof(Kit.Create_SameIdButAnotherJob_IsRefusedAndChangesNothing)),
        BrokenStore.Of<CreateComparingStatusAfterAMove>("The status is compared only while the stored job has version 1.", nameof(Kit.Create_SentAgainAfterItWasStored_SucceedsAndChangesNothing)),
        BrokenStore.Of<CreateManyRefusingItsOwnBatch>("A batch sent again finds every job identical and succeeds.", nameof(Kit.CreateMany_SentAgainAfterItWasStored_SucceedsAndChangesNothing)),
        BrokenStore.Of<CreateManyStoringTheMissingOnes>("A batch holding stored ids and new ones is refused whole.", nameof(Kit.CreateMany_PartlyStoredOrWithAnotherJob_IsRefusedWhole)),
        BrokenStore.Of<CreateAcceptingAnyStatus>("A new job neither Editing nor Queued is refused with ArgumentException.", nameof(Kit.Create_DuplicateIdOrWrongStatus_IsRefused)),
        BrokenStore.Of<CreateDroppingSteps>("A new job's steps are kept.", nameof(Kit.Create_WithSteps_KeepsThem)),
        BrokenStore.Of<CreateManyOneByOne>("A batch is stored whole or not at all.", nameof(Kit.CreateMany_DuplicateOrInvalidJob_StoresNone)),
        BrokenStore.Of<CreateManyReversed>("A batch is recorded in the feed and queued in the order given.", nameof(Kit.CreateMany_RecordsOneCreatedChangePerJobInOrder), nameof(Kit.CreateMany_ClaimsFollowQueueOrder)),
        BrokenStore.Of<CreateManyDroppingRepeatedIds>("A batch holding an id twice is refused with ArgumentException.", nameof(Kit.CreateMany_DuplicateOrInvalidJob_StoresNone)),
        BrokenStore.Of<DraftEditNotRaisingVersion>("A draft edit raises the version by one.", nameof(Kit.UpdateDraft_OnlyDraftsWithTheExpectedVersion)),
        BrokenStore.Of<DraftEditOfAnyStatus>("Only a job in status Editing may be edited.", nameof(Kit.UpdateDraft_OnlyDraftsWithTheExpectedVersion)),
        BrokenStore.Of<DraftEditIgnoringVersion>("A draft edit applies only at the expected version.", nameof(Kit.UpdateDraft_OnlyDraftsWithTheExpectedVersion)),
        BrokenStore.Of<TimesInMilliseconds>("Times round-trip to at least the microsecond.", nameof(Kit.Create_ThenGet_RoundTripsEveryField)),
        BrokenStore.Of<TextInLatin1>("Text round-trips exactly, any Unicode character included.", nameof(Kit.Create_ThenGet_RoundTripsEveryField)),
        BrokenStore.Of<TextWithDoubledQuotes>("Text round-trips exactly, quotes included.", nameof(Kit.Create_ThenGet_RoundTripsEveryField)),
        BrokenStore.Of<EmptyTextAsNull>("An empty text stays empty; an absent one stays absent.", nameof(Kit.Create_EmptyAndNullValues_RoundTrip)),
        BrokenStore.Of<GetFromAStaleCache>("Read your writes: once a call has returned, GetAsync sees its effect.", nameof(Kit.Transition_AppliesFieldsAndRaisesVersion)),

        // Rules of the contracts a store can miss while every other rule holds.
        BrokenStore.Of<TransitionToRunningWithoutStartAndNode>("A move from Queued to Running sets StartedAt (if not yet set) and Node.", nameof(Kit.Transition_QueuedToRunning_SetsStartedAtOnceAndTheNode)),
        BrokenStore.Of<TransitionCheckpointWithoutItsReport>("A transition with HasCheckpoint stores its report as CheckpointReport.", nameof(Kit.Transition_WithACheckpoint_StoresItsReportAsTheCheckpointReport)),
        BrokenStore.Of<CreateManyVisibleInPart>("A batch is stored as one step: no reader sees part of it.", nameof(Kit.CreateMany_AReaderRacingTheBatch_SeesNoneOrAll)),
        BrokenStore.Of<ClaimBlockedByRestingKeyHolders>("Only an active job (Running, Pausing, Cancelling, ShuttingDown) holds its concurrency key.", nameof(Kit.Claim_PausedInterruptedOrDraftJob_DoesNotHoldItsConcurrencyKey)),
        BrokenStore.Of<RejectRawRecordCutAt64K>("Journal text round-trips exactly, however long: a reject's raw record included.", nameof(Kit.Journal_RejectOfAMegabyte_RoundTripsWhole)),
        BrokenStore.Of<TransientForEveryError>("An ArgumentException is never transient.", nameof(Kit.IsTransient_ArgumentErrors_AreNot)),
        BrokenStore.Of<FeedAheadOfClaims>("A change is in the feed only once claims see what it did (a key freed, a job queued again).", nameof(Kit.Feed_AChangeReadFromTheFeed_IsSeenByAClaimMadeAfter)),

        // Time and repetition.
        BrokenStore.Of<CreateIgnoringRunAfter>("A job whose RunAfter is later than the store's now is not claimed.", nameof(Kit.Time_WaitingJob_IsClaimedOnlyOnceItsTimeHasCome)),
        BrokenStore.Of<NextRunAfterNeverKnown>("GetNextRunAfterAsync tells when the next waiting job comes due.", nameof(Kit.Time_WaitingJob_IsClaimedOnlyOnceItsTimeHasCome)),
        BrokenStore.Of<RequeueKeepingTheOldTime>("A move to Queued stores the move's RunAfter: null makes the job ready at once.", nameof(Kit.Time_Retry_RecordsTheFailedAttemptWaitsAndRunNowMakesItReady)),
        BrokenStore.Of<RetryRecordedAsRunning>("A retry records the ending attempt as Failed with the move's error.", nameof(Kit.Time_Retry_RecordsTheFailedAttemptWaitsAndRunNowMakesItReady)),
        BrokenStore.Of<FeedWithoutRunAfter>("The feed carries RunAfter on a creation and a move to Queued.", nameof(Kit.Time_Feed_CarriesTheTimeOnCreationAndRequeue)),
        BrokenStore.Of<CreateIgnoringIdempotencyKeys>("A create whose idempotency key is held returns the holder's id and stores nothing.", nameof(Kit.Keys_RepeatedStart_ReturnsTheHolderAndStoresNothing)),
        BrokenStore.Of<KeyHeldForEver>("A finished job gives its key up once its window has passed.", nameof(Kit.Keys_FinishedHolder_ReleasesTheKeyAfterItsWindow)),
        BrokenStore.Of<KeyCheckedThenStored>("Racing creates with one key store exactly one job.", nameof(Kit.Keys_RacingStarts_StoreOneJob)),
    ];

    public static BrokenStore Find(string name) => All.Single(s => s.Name == name);
}
