using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using JobTracking.Dashboard.Commands;
using JobTracking.Dashboard.Pages;
using JobTracking.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace JobTracking.Dashboard.Tests;

/// <summary>
/// The dashboard in English (the default) and French: every page in the request's language under a host that calls
/// <c>UseRequestLocalization</c> with "en" and "fr", no English label left on a French page, the JSON API, CSV and error
/// answers of the API in English, every text translated, plurals and numbers as each language writes them.
/// </summary>
public sealed partial class LocalizationTests
{
    private static readonly string RepositoryRoot = typeof(LocalizationTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;

    private static readonly string ResourcesFolder = Path.Combine(RepositoryRoot, "src", "JobTracking.Dashboard", "Resources");

    /// <summary>
    /// The English labels the pages had before they were translated (and other English words of the interface): none may
    /// show on a French page ("Pause" is French too: "Pause en cours"). Matched case-sensitively as whole words, in the text a reader sees or hears (the body's
    /// text, the title, aria-label, placeholder, data-label and data-confirm attributes, and the script's texts), with the
    /// jobs' own data (names, log lines, records, parameters, stack traces) left out.
    /// </summary>
    private static readonly string[] EnglishLabels =
    [
        "Editing in progress", "Queued", "Execution in progress", "Pause in progress", "Paused", "Cancellation in progress", "Cancelled", "Finished",
        "Finished with error", "Finished with warnings", "Server shutdown in progress", "Interrupted", "Not started",
        "Jobs", "Job", "jobs", "job", "Status", "Launched by", "Created", "Started", "Ended", "Duration", "Progress", "Warnings", "Attempt", "Attempts",
        "General", "Log", "Rejects", "History", "Tabs", "Schedules", "Schedule", "Skip to the content", "Live updates", "Live", "Connecting",
        "Search", "Job name", "Any", "From", "To", "Filter", "Clear filters", "Select", "Selected jobs", "All jobs matching the filters", "Cancel all",
        "Restart all", "Older jobs", "Newest", "First", "Next", "Cancel", "Restart", "Resume", "Start", "Run now", "Delete", "Yes", "No",
        "go back", "Back to the job", "Back to the jobs", "Error", "Stack trace", "Steps", "Step", "Read", "Written", "Skipped", "Outcome", "Node",
        "Parameters", "Checkpoint", "none", "Lowest level", "Show", "Download", "Download CSV", "No log lines", "Time", "Level", "Record", "Raw record",
        "Rejected", "Reason", "What", "By", "Where", "No history", "Debug", "Warning", "Critical", "Job type", "Next occurrence", "Last occurrence",
        "Last job", "State", "Commands", "Bulk command", "Not changed", "Nothing changed", "because", "it is", "cancelled", "restarted", "started",
        "finished", "failed", "done", "of", "the", "show", "new", "Close", "Reloading", "Reconnecting", "Process tracker", "All", "requested",
        "scheduled for", "retry", "Progress of", "Last operations", "created", "Elapsed", "Running time", "Answering", "Not answering", "not answering",
        "Last heartbeat", "heartbeat", "Workers", "Running jobs", "running", "Instance id", "this instance", "shown to operators", "Reload to refresh",
        "ago", "lease", "forgotten", "on node",
    ];

    [Fact]
    public void Resources_EveryEnglishKeyHasAFrenchText_NoneEmpty_WithTheSamePlaceholdersAndPluralForms()
    {
        var english = ReadResx("DashboardResources.resx");
        var french = ReadResx("DashboardResources.fr.resx");

        english.Should().NotBeEmpty();
        french.Keys.Should().BeEquivalentTo(english.Keys, "every text has its French translation, and French has no text English lacks");
        english.Where(e => string.IsNullOrWhiteSpace(e.Value)).Should().BeEmpty("no English text is empty");
        french.Where(e => string.IsNullOrWhiteSpace(e.Value)).Should().BeEmpty("no French text is empty");
        foreach (var (key, value) in english)
        {
            // The French text fills its blanks from the same arguments (it may leave one out: "Annuler la seule tâche ...").
            Placeholders(french[key]).Should().BeSubsetOf(Placeholders(value).Concat(key == "Error.Transition" ? [4] : []), $"the French text of {key} has the blanks of the English one");
            if (key.EndsWith(".One", StringComparison.Ordinal))
            {
                english.Should().ContainKey(key[..^4] + ".Other", "a plural has both forms");
            }
        }

        // The French strings, as the running assembly finds them (the satellite assembly is built and deployed).
        var resources = new System.Resources.ResourceManager(DashboardText.BaseName, typeof(DashboardText).Assembly);
        foreach (var key in english.Keys)
        {
            resources.GetString(key, CultureInfo.GetCultureInfo("fr")).Should().Be(french[key], key);
            resources.GetString(key, CultureInfo.InvariantCulture).Should().Be(english[key], key);
        }
    }

    [Fact]
    public void Sources_UseOnlyKeysTheResourcesHave()
    {
        var keys = ReadResx("DashboardResources.resx").Keys.ToHashSet(StringComparer.Ordinal);
        var prefixes = keys.Where(k => k.Contains('.', StringComparison.Ordinal)).Select(k => k[..k.IndexOf('.', StringComparison.Ordinal)]).ToHashSet(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepositoryRoot, "src", "JobTracking.Dashboard"), "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (Match literal in KeyLiteral().Matches(File.ReadAllText(file)))
            {
                var key = literal.Groups[1].Value;
                if (!prefixes.Contains(key[..key.IndexOf('.', StringComparison.Ordinal)]) || key.EndsWith('.'))
                {
                    continue;
                }

                if (!keys.Contains(key) && !keys.Contains(key + ".One"))
                {
                    missing.Add($"{Path.GetFileName(file)}: {key}");
                }
            }
        }

        // Keys made from a value: "Status." + status, "Command.Question." + command...
        foreach (var status in Enum.GetNames<JobStatus>())
        {
            Need("Status." + status);
        }

        foreach (var command in Enum.GetNames<DashboardCommand>())
        {
            Need("Command." + command, "Command.Question." + command, "Command.Done." + command, "Bulk.Title." + command,
                "Bulk.Summary.Changed." + command + ".One", "Bulk.Summary.NoneChanged." + command + ".Other");
        }

        foreach (var command in new[] { DashboardCommand.Cancel, DashboardCommand.Restart })
        {
            foreach (var scope in new[] { "Max", "One", "Other" })
            {
                Need($"Bulk.Ask.{command}.{scope}", $"Bulk.AskNone.{command}.{scope}");
            }

            Need($"Bulk.AskSelected.{command}.One", $"Bulk.AskOthers.{command}.Other");
        }

        foreach (var kind in Enum.GetNames<JobHistoryKind>())
        {
            Need("History.Kind." + kind);
        }

        foreach (var command in Enum.GetNames<JobCommand>())
        {
            Need("Verb." + command);
        }

        foreach (var level in Enum.GetValues<LogLevel>().Where(l => l != LogLevel.None))
        {
            Need("Level." + level);
        }

        foreach (var command in new[] { "Pause", "Resume", "Trigger", "Delete" })
        {
            Need("Schedules.Command." + command, "Schedules.Question." + command, "Schedules.Done." + command);
        }

        // And every text the script asks for is one the pages give it.
        var scriptTexts = JsonDocument.Parse(ScriptTexts.Json(DashboardText.Invariant)).RootElement;
        var script = File.ReadAllText(Path.Combine(RepositoryRoot, "src", "JobTracking.Dashboard", "Assets", "dashboard.js"));
        foreach (Match use in ScriptKey().Matches(script))
        {
            if (!scriptTexts.TryGetProperty(use.Groups[1].Value, out _))
            {
                missing.Add("dashboard.js: " + use.Groups[1].Value);
            }
        }

        missing.Should().BeEmpty("every text the code asks for is in the resources (a missing one shows its key)");

        void Need(params string[] names) => missing.AddRange(names.Where(n => !keys.Contains(n)));
    }

    [Fact]
    public async Task EveryPage_UnderAcceptLanguageFr_IsInFrench_AndShowsNoEnglishLabel()
    {
        await using var host = await DashboardTestHost.StartAsync(localized: true, jobs: b => b.Configure(o => o.HeartbeatInterval = TimeSpan.FromMilliseconds(100)));
        var schedules = host.Services.GetRequiredService<IJobSchedules>();
        await schedules.Schedule<JournalJob>().SetAsync("nuit", new JournalParameters(), "0 2 * * *", new() { TimeZone = "Europe/Paris" });
        await schedules.Schedule<JournalJob>().SetAsync("en-pause", new JournalParameters(), "*/5 * * * *");
        await schedules.PauseAsync("en-pause");
        var journal = await schedules.TriggerAsync("nuit");
        var failed = await host.Runner.Job<FailJob>().StartAsync(new FailParameters(), new JobStartOptions { DisplayName = "Échec voulu" });
        var steps = await host.Runner.Job<StepGateJob>().StartAsync(new StepGateParameters(), new JobStartOptions { DisplayName = "Étapes en cours" });
        var running = await host.StartGateJobAsync("Import A", user: "alice");
        await host.WaitForAsync(journal, JobStatus.Completed);
        await host.WaitForAsync(failed, JobStatus.Failed);
        await host.WaitForAsync(running, JobStatus.Running);
        await host.WaitForAsync(steps, JobStatus.Running);
        await Wait.UntilAsync(async () => (await host.Tracker.GetAsync(steps)).Steps is [_, { Status: JobStepStatus.Running }, _], "the running second step is stored");
        await Wait.UntilAsync(async () => (await host.Tracker.GetInstancesAsync()).Single().RunningJobs == 2, "a heartbeat with the two running jobs");
        var node = (await host.Tracker.GetInstancesAsync()).Single().Node;
        var client = French(host.Client());
        var token = await client.TokenAsync();

        var pages = new Dictionary<string, IHtmlDocument>(StringComparer.Ordinal);
        foreach (var url in new[]
        {
            "/jobs", "/jobs?status=Running&user=alice", $"/jobs/{journal}", $"/jobs/{journal}?tab=log", $"/jobs/{journal}?tab=rejects",
            $"/jobs/{journal}?tab=history", $"/jobs/{failed}", $"/jobs/{running}", $"/jobs/{steps}", "/jobs/schedules", "/jobs/schedules?done=trigger",
            $"/jobs/{journal}?done=restart", "/jobs/instances", "/jobs?node=" + Uri.EscapeDataString(node),
        })
        {
            pages[url] = await client.GetPageAsync(url);
        }

        pages["confirm"] = await PostPageAsync(client, $"/jobs/{running}/cancel", [new("confirmed", "")], token);
        pages["confirm schedule"] = await PostPageAsync(client, "/jobs/schedules/trigger", [new("id", "nuit"), new("confirmed", "")], token);
        pages["confirm all"] = await PostPageAsync(client, "/jobs/bulk", [new("command", "cancel-all")], token);
        pages["confirm selected"] = await PostPageAsync(client, "/jobs/bulk", [new("command", "restart-selected"), new("id", failed.ToString())], token);
        var bulk = await client.PostFormAsync("/jobs/bulk",
            [new("command", "cancel-selected"), new("id", running.ToString()), new("id", steps.ToString()), new("id", journal.ToString()), new("confirmed", "yes")], token);
        bulk.StatusCode.Should().Be(HttpStatusCode.SeeOther);
        pages["bulk result"] = await client.GetPageAsync(bulk.Headers.Location!.ToString());
        pages["bulk gone"] = await client.GetPageAsync("/jobs/bulk/no-such-result", HttpStatusCode.NotFound);
        pages["bad input"] = await client.GetPageAsync("/jobs?status=Nope", HttpStatusCode.BadRequest);
        pages["not found"] = await client.GetPageAsync($"/jobs/{Guid.NewGuid()}", HttpStatusCode.NotFound);
        pages["last operations"] = new HtmlParser().ParseDocument(await client.GetStringAsync("/jobs/last-operations"));

        foreach (var (name, page) in pages)
        {
            if (name != "last operations")
            {
                page.DocumentElement.GetAttribute("lang").Should().Be("fr", $"{name} says it is in French");
            }

            var english = EnglishIn(page);
            english.Should().BeEmpty($"{name} shows no English label under Accept-Language: fr");
        }

        // What each page says, in the words of Adobe Campaign's French tracker.
        var tracker = pages["/jobs"];
        tracker.QuerySelector("h1")!.TextContent.Should().Be("Tâches");
        Badge(tracker, running).Should().Be("En cours d'exécution");
        Badge(tracker, failed).Should().Be("Terminé en erreur");
        Badge(tracker, journal).Should().Be("Terminé avec avertissements");
        tracker.QuerySelectorAll("select[name=status] option").Skip(1).Select(o => o.TextContent).Should().Equal(
            "Edition en cours", "En attente", "En cours d'exécution", "Pause en cours", "En pause", "Annulation en cours", "Annulé", "Terminé",
            "Terminé en erreur", "Arrêt du serveur en cours", "Interrompu");
        tracker.QuerySelector($"#jt-rows tr[data-job-id='{running}'] .jt-created")!.GetAttribute("data-label").Should().Be("Créée le", "the phone layout labels each figure");
        tracker.QuerySelector($"#jt-rows tr[data-job-id='{steps}'] .jt-step")!.TextContent.Should().Be("étape 2 sur 3 — validate");
        tracker.QuerySelector("button[value=cancel-all]")!.TextContent.Should().Be("Tout annuler");
        tracker.QuerySelector(".jt-skip")!.TextContent.Should().Be("Aller au contenu");
        tracker.Title.Should().Be("Tâches · Suivi des processus", "the default title reads in the reader's language");
        tracker.QuerySelectorAll("thead th").Select(h => h.TextContent).Should().ContainInOrder("Créée le", "Démarrée le", "Temps écoulé", "Progression");
        tracker.QuerySelector($"#jt-rows tr[data-job-id='{running}'] .jt-duration")!.GetAttribute("data-label").Should().Be("Temps écoulé");
        tracker.QuerySelector("input[name=node]")!.ParentElement!.TextContent.Trim().Should().Be("Nœud");
        pages["/jobs?node=" + Uri.EscapeDataString(node)].QuerySelector("a.jt-clear")!.TextContent.Should().Be("Effacer les filtres");
        var texts = JsonDocument.Parse(tracker.Body!.GetAttribute("data-texts")!).RootElement;
        texts.GetProperty("Status").GetProperty("Completed").GetString().Should().Be("Terminé");
        texts.GetProperty("NewJobs.Count").GetProperty("other").GetString().Should().Be("{0} nouvelles tâches");

        var job = pages[$"/jobs/{journal}"];
        job.QuerySelectorAll(".jt-tabs a").Select(a => a.TextContent).Should().Equal("Général", "Journal", "Rejets", "Historique");
        job.QuerySelectorAll(".jt-facts dt").Select(d => d.TextContent).Should().StartWith(["Statut", "Type", "Lancée par", "Créée le", "Démarrée le", "Terminée le", "Durée d'exécution"]);
        var runningTime = pages[$"/jobs/{running}"].QuerySelector(".jt-facts .jt-duration")!;
        runningTime.GetAttribute("data-label").Should().Be("Durée d'exécution");
        runningTime.TextContent.Should().MatchRegex(@"^\d+,\d s$", "the running time counts in French");
        job.QuerySelector(".jt-step-status")!.TextContent.Should().Be("Terminé");
        pages[$"/jobs/{journal}?tab=log"].QuerySelector("#jt-log-csv")!.TextContent.Should().Be("Télécharger le journal (CSV)");
        pages[$"/jobs/{journal}?tab=log"].QuerySelectorAll(".jt-log tbody td:nth-child(2)").Select(c => c.TextContent).Should().Contain(["Information", "Erreur"]);
        pages[$"/jobs/{journal}?tab=rejects"].QuerySelector("#jt-rejects-csv")!.TextContent.Should().Be("Télécharger en CSV");
        pages[$"/jobs/{journal}?tab=history"].QuerySelector(".jt-history tbody td:nth-child(2)")!.TextContent.Should().Be("Créée");
        pages[$"/jobs/{journal}?done=restart"].QuerySelector(".jt-flash")!.TextContent.Should().Be("Redémarrée dans une nouvelle tentative.");
        pages[$"/jobs/{running}"].QuerySelectorAll(".jt-commands button").Select(b => b.TextContent).Should().Equal("Suspendre", "Annuler");
        Spaces(pages[$"/jobs/{running}"].QuerySelector(".jt-cmd-cancel")!.GetAttribute("data-confirm")!).Should()
            .Be("Annuler la tâche « Import A » ? Une tâche annulée ne peut pas être redémarrée.");

        var confirm = pages["confirm"];
        confirm.QuerySelector("h1")!.TextContent.Should().Be("Annuler");
        confirm.QuerySelector("button[type=submit]")!.TextContent.Should().Be("Oui, annuler");
        confirm.QuerySelector(".jt-confirm a")!.TextContent.Should().Be("Non, revenir en arrière");
        Spaces(pages["confirm all"].QuerySelector(".jt-question")!.TextContent).Should()
            .Be("Annuler 2 des 4 tâches correspondant aux filtres ? Les 2 autres ne peuvent pas être annulées et restent telles quelles.");
        Spaces(pages["confirm selected"].QuerySelector(".jt-question")!.TextContent).Should().Be("Redémarrer la tâche sélectionnée ?");
        Spaces(pages["confirm schedule"].QuerySelector(".jt-question")!.TextContent).Should()
            .Be("Exécuter la planification « nuit » maintenant ? Sa tâche démarre immédiatement ; la prochaine occurrence ne change pas.");

        var result = pages["bulk result"];
        result.QuerySelector("h1")!.TextContent.Should().Be("Annuler des tâches");
        Spaces(result.QuerySelector("#jt-bulk-summary")!.TextContent).Should().Be("2 tâches annulées ; 1 non : 1 car son statut est « Terminé avec avertissements ».");
        result.QuerySelector($".jt-bulk-result tr[data-job-id='{running}'] td:nth-child(2)")!.TextContent.Should().Be("Annulation demandée");
        Spaces(pages["bulk gone"].QuerySelector("#jt-bulk-summary")!.TextContent).Should().StartWith("Ce résultat n'est plus disponible : les résultats sont conservés 10 minutes");

        var schedulesPage = pages["/jobs/schedules"];
        schedulesPage.QuerySelector("h1")!.TextContent.Should().Be("Planifications");
        schedulesPage.QuerySelectorAll("tr[data-schedule=nuit] button").Select(b => b.TextContent).Should().Equal("Suspendre", "Exécuter maintenant", "Supprimer");
        schedulesPage.QuerySelector("tr[data-schedule=en-pause] .jt-badge")!.TextContent.Should().Be("En pause");
        pages["/jobs/schedules?done=trigger"].QuerySelector(".jt-flash")!.TextContent.Should().Be("Tâche démarrée.");

        var instances = pages["/jobs/instances"];
        instances.QuerySelector("h1")!.TextContent.Should().Be("Instances");
        instances.QuerySelector("a.jt-nav[href='/jobs/instances']")!.TextContent.Should().Be("Instances");
        Spaces(instances.QuerySelector("main > p.jt-muted")!.TextContent).Should().Be(
            "1 instance. Une instance ne répond pas dès que son dernier signe de vie date de plus de trois durées de bail ; elle est oubliée plus tard. Rechargez la page pour l'actualiser.");
        instances.QuerySelectorAll("table.jt-instances thead th").Select(h => h.TextContent).Should().Equal(
            "Nœud", "État", "Identifiant d'instance", "Version", "Démarrée le", "Dernier signe de vie", "Capacité", "Tâches en cours");
        var self = instances.QuerySelector("table.jt-instances tbody tr")!;
        self.QuerySelector(".jt-name .jt-muted")!.TextContent.Should().Be("(cette instance)");
        self.QuerySelector(".jt-badge")!.TextContent.Should().Be("Répond");
        self.QuerySelectorAll("td[data-label]").Select(c => c.GetAttribute("data-label")).Should().Equal(
            "Identifiant", "Version", "Démarrée le", "Dernier signe de vie", "Capacité", "Tâches en cours");
        self.QuerySelectorAll("time[datetime]").Should().HaveCount(2, "the start and the last heartbeat are times the script writes in the reader's zone and language");
        self.QuerySelector(".jt-when")!.TextContent.Should().MatchRegex(@"^il y a \d+,\d s$");
        self.QuerySelector("td:last-child a")!.GetAttribute("aria-label").Should().Be($"2 tâches en cours sur le nœud {node}");

        Spaces(pages["bad input"].QuerySelector(".jt-error")!.TextContent).Should().StartWith("status : « Nope » n'est pas un statut de tâche");
        Spaces(pages["not found"].QuerySelector(".jt-error")!.TextContent).Should().EndWith("est introuvable.");
        pages["last operations"].QuerySelector("section")!.GetAttribute("lang").Should().Be("fr", "the fragment says its language, for a host page in another");
        pages["last operations"].QuerySelector("h2")!.TextContent.Should().Be("Dernières opérations");
    }

    [Fact]
    public async Task InstancesPage_UnderAcceptLanguageFr_SaysNotAnsweringAndHidesIdsFromReaders_InFrench()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        var store = new InMemoryJobStore(clock);
        await using var host = await DashboardTestHost.StartAsync(withPolicies: true, localized: true, jobs: b => b.UseStore(store).Configure(o =>
        {
            o.NodeName = "alpha";
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
        }));
        await store.RecordHeartbeatAsync(new JobInstanceHeartbeat { InstanceId = "gone:1:ff", Node = "gone", Version = "0.9.0", MaxConcurrency = 2, RunningJobs = 1 });
        clock.Advance(TimeSpan.FromSeconds(31));
        await Wait.UntilAsync(async () => (await host.Tracker.GetInstancesAsync()).Single(i => i.IsCurrent).IsAnswering, "alpha's next heartbeat by the store's clock");

        var operatorPage = await French(host.Client(user: "olga", role: "operator")).GetPageAsync("/jobs/instances");
        var readerPage = await French(host.Client(user: "rita", role: "reader")).GetPageAsync("/jobs/instances");

        foreach (var (name, page) in new[] { ("operator", operatorPage), ("reader", readerPage) })
        {
            page.DocumentElement.GetAttribute("lang").Should().Be("fr", name);
            EnglishIn(page).Should().BeEmpty($"the {name}'s instances page shows no English label under Accept-Language: fr");
            var gone = page.QuerySelectorAll("table.jt-instances tbody tr").Single(r => r.QuerySelector("td.jt-name b")!.TextContent == "gone");
            gone.QuerySelector(".jt-badge")!.TextContent.Should().Be("Ne répond pas", name);
            gone.QuerySelector("td[data-label='Dernier signe de vie'] .jt-when")!.TextContent.Should().Be("il y a 31,0 s", name);
            gone.QuerySelector("td[data-label='Tâches en cours'] a")!.GetAttribute("aria-label").Should().Be("1 tâche en cours sur le nœud gone", name);
            Spaces(page.QuerySelector("main > p.jt-muted")!.TextContent).Should().StartWith("2 instances, dont 1 ne répond pas. ", name);
        }

        operatorPage.QuerySelector("tr[data-instance='gone:1:ff'] td[data-label='Identifiant'] code")!.TextContent.Should().Be("gone:1:ff");
        readerPage.QuerySelectorAll("td[data-label='Identifiant'] .jt-none").Select(c => c.TextContent).Should().Equal("visible par les opérateurs", "visible par les opérateurs");
    }

    [Fact]
    public async Task EnglishIsTheDefault_WithoutAcceptLanguage_ForALanguageTheDashboardLacks_AndWithoutRequestLocalization()
    {
        await using var localized = await DashboardTestHost.StartAsync(localized: true);
        await using var plain = await DashboardTestHost.StartAsync();
        var id = await localized.StartGateJobAsync("Import A");
        await localized.WaitForAsync(id, JobStatus.Running);
        var german = localized.Client();
        german.Headers["Accept-Language"] = "de-DE,de;q=0.9";

        foreach (var (name, page) in new[]
        {
            ("no Accept-Language", await localized.Client().GetPageAsync("/jobs")),
            ("German", await german.GetPageAsync("/jobs")),
            ("French asked of a host without UseRequestLocalization", await French(plain.Client()).GetPageAsync("/jobs")),
        })
        {
            page.DocumentElement.GetAttribute("lang").Should().Be("en", name);
            page.QuerySelector("h1")!.TextContent.Should().Be("Jobs", name);
            page.QuerySelector(".jt-skip")!.TextContent.Should().Be("Skip to the content", name);
            page.Title.Should().Be("Jobs · Process tracker", name);
            EnglishIn(page).Should().Contain(["Jobs", "Skip to the content", "Launched by", "Filter", "Editing in progress"], "the scan of French pages finds these words where they are");
        }

        var job = await localized.Client().GetPageAsync($"/jobs/{id}");
        job.QuerySelectorAll(".jt-tabs a").Select(a => a.TextContent).Should().Equal("General", "Log", "Rejects", "History");
        job.QuerySelector("#jt-job-status .jt-badge")!.TextContent.Should().Be("Execution in progress");
    }

    [Fact]
    public async Task MachineReadableAnswers_StayInvariant_UnderAcceptLanguageFr()
    {
        await using var host = await DashboardTestHost.StartAsync(localized: true);
        var id = await host.Runner.Job<JournalJob>().StartAsync(new JournalParameters(), new JobStartOptions { DisplayName = "Journal" });
        await host.WaitForAsync(id, JobStatus.Completed);
        var client = French(host.Client());

        using var counts = JsonDocument.Parse(await client.GetStringAsync("/jobs/api/counts"));
        counts.RootElement.GetProperty("statuses").EnumerateArray().Select(s => s.GetProperty("label").GetString()).Should().Contain("Execution in progress");
        using var job = JsonDocument.Parse(await client.GetStringAsync($"/jobs/api/jobs/{id}"));
        job.RootElement.GetProperty("job").GetProperty("statusLabel").GetString().Should().Be("Finished with warnings");
        using var error = JsonDocument.Parse(await client.GetStringAsync("/jobs/api/jobs?status=Nope", HttpStatusCode.BadRequest));
        error.RootElement.GetProperty("error").GetString().Should().StartWith("status: 'Nope' is not a job status");
        (await client.GetStringAsync($"/jobs/{id}/log.csv")).Should().StartWith("Time,Level,Message\r\n").And.Contain(",Information,");
        (await client.GetStringAsync($"/jobs/{id}/rejects.csv")).Should().StartWith("RecordNumber,Reason,RawRecord,RejectedAt");
    }

    [Fact]
    public async Task FrenchText_WithAnApostropheAndAJobNameFullOfMarkup_IsEncodedInTextAndAttributes()
    {
        await using var host = await DashboardTestHost.StartAsync(localized: true);
        const string Name = "L'import \"spécial\" <b>gras</b> & co";
        var id = await host.StartGateJobAsync(Name);
        await Wait.UntilAsync(async () => (await host.Tracker.GetAsync(id)).Progress.Total is not null, "the job's first progress");
        var client = French(host.Client());

        var html = await client.GetStringAsync($"/jobs/{id}");
        var page = new HtmlParser().ParseDocument(html);

        html.Should().NotContain("<b>gras</b>");
        page.QuerySelectorAll("main b").Should().BeEmpty("no markup from a name reaches the page");
        Spaces(page.QuerySelector(".jt-cmd-pause")!.GetAttribute("data-confirm")!).Should()
            .Be($"Suspendre la tâche « {Name} » ? Elle s'arrête à son prochain point sûr et pourra être redémarrée.");
        page.QuerySelector(".jt-cmd-pause")!.TextContent.Should().Be("Suspendre");
        page.QuerySelector("progress")!.GetAttribute("aria-label").Should().Be($"Progression de {Name}");
        page.QuerySelector(".jt-live-state")!.TextContent.Should().Be("Les mises à jour en direct demandent JavaScript\u00a0; rechargez la page pour l'actualiser.");
    }

    [Fact]
    public void PluralsAndNumbers_AreWrittenAsEachLanguageWritesThem()
    {
        InCulture("fr-FR", text =>
        {
            var group = CultureInfo.GetCultureInfo("fr-FR").NumberFormat.NumberGroupSeparator;
            text.Plural("NewJobs.Count", 0).Should().Be("0 nouvelle tâche", "French says 0 in the singular");
            text.Plural("NewJobs.Count", 1).Should().Be("1 nouvelle tâche");
            text.Plural("NewJobs.Count", 2).Should().Be("2 nouvelles tâches");
            text.Plural("NewJobs.Count", 1950).Should().Be($"1{group}950 nouvelles tâches");
            text.Lang.Should().Be("fr-FR");
            Format.Duration(text, TimeSpan.FromSeconds(12.34)).Should().Be("12,3 s");
            StatusLabels.Label(text, JobStatus.ShuttingDown).Should().Be("Arrêt du serveur en cours");
            new BulkResult(DashboardCommand.Cancel, 1200, 1200, [], Truncated: false).Summary(text).Should().Be($"1{group}200 tâches annulées.");
            new BulkResult(DashboardCommand.Restart, 1, 0, [new BulkOutcome(Guid.NewGuid(), "x", Changed: false, Status: null)], Truncated: false).Summary(text)
                .Should().Be("Rien n'a changé\u00a0: 1 tâche non redémarrée, 1 car elle n'existe plus.");
        });

        InCulture("en", text =>
        {
            text.Plural("NewJobs.Count", 0).Should().Be("0 new jobs");
            text.Plural("NewJobs.Count", 1).Should().Be("1 new job");
            text.Plural("NewJobs.Count", 1950).Should().Be("1,950 new jobs");
            Format.Duration(text, TimeSpan.FromSeconds(12.34)).Should().Be("12.3 s");
            new BulkResult(DashboardCommand.Cancel, 1200, 1200, [], Truncated: false).Summary(text).Should().Be("1,200 jobs cancelled.");
        });

        // The API's and the log's words: English, invariant numbers, whatever the culture.
        InCulture("fr-FR", _ =>
            new BulkResult(DashboardCommand.Cancel, 1200, 1200, [], Truncated: false).Summary().Should().Be("1,200 jobs cancelled."));
    }

    private static void InCulture(string culture, Action<DashboardText> test)
    {
        var (before, beforeUi) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo(culture);
        try
        {
            using var services = new ServiceCollection().AddLogging().AddLocalization().BuildServiceProvider();
            test(DashboardText.For(new DefaultHttpContext { RequestServices = services }));
        }
        finally
        {
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (before, beforeUi);
        }
    }

    private static DashboardClient French(DashboardClient client)
    {
        client.Headers["Accept-Language"] = "fr-FR,fr;q=0.9,en;q=0.5";
        return client;
    }

    private static async Task<IHtmlDocument> PostPageAsync(DashboardClient client, string url, IEnumerable<KeyValuePair<string, string>> fields, string token)
    {
        var response = await client.PostFormAsync(url, fields, token);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, $"POST {url} answered {body}");
        return new HtmlParser().ParseDocument(body);
    }

    private static string Badge(IHtmlDocument page, Guid id) => page.QuerySelector($"#jt-rows tr[data-job-id='{id}'] .jt-badge")!.TextContent;

    // French puts a no-break space before : ; ? ! and inside « »; compared here as plain spaces.
    private static string Spaces(string text) => text.Replace('\u00a0', ' ').Replace('\u202f', ' ');

    /// <summary>The English labels a page shows or says, leaving out the jobs' own data.</summary>
    private static List<string> EnglishIn(IHtmlDocument shown)
    {
        var page = (IHtmlDocument)shown.Clone(deep: true);
        foreach (var data in page.QuerySelectorAll("pre, code, .jt-message, .jt-name, .jt-job-name, .jt-type, .jt-rejects td, .jt-facts dd, .jt-schedules td:nth-child(2), .jt-step-name, .jt-history td:nth-child(4), .jt-history td:nth-child(6), .jt-user, table.jt-table td:first-child a, .jt-last-operations li a").ToList())
        {
            data.Remove();
        }

        foreach (var step in page.QuerySelectorAll("table.jt-table tbody tr td:first-child").ToList())
        {
            step.Remove();
        }

        // Each text node apart: the body's whole text runs a cell into the next ("Launched byCreated").
        var said = new List<string> { page.Title ?? "" };
        said.AddRange(page.Body?.Descendants<IText>().Select(t => t.Data) ?? []);
        foreach (var element in page.QuerySelectorAll("[aria-label], [placeholder], [data-label], [data-confirm], [title]"))
        {
            said.AddRange(new[] { "aria-label", "placeholder", "data-label", "data-confirm", "title" }.Select(element.GetAttribute).OfType<string>());
        }

        if (page.Body?.GetAttribute("data-texts") is { } json)
        {
            said.AddRange(Strings(JsonDocument.Parse(json).RootElement));
        }

        // An error about a parameter lists the values it takes, which stay as the URL spells them.
        var all = string.Join("\n", said).Replace("Import A", "", StringComparison.Ordinal).Replace(string.Join(", ", Enum.GetNames<JobStatus>()), "", StringComparison.Ordinal);
        return [.. EnglishLabels.Where(label => Regex.IsMatch(all, $@"(?<![\p{{L}}\p{{N}}_]){Regex.Escape(label)}(?![\p{{L}}\p{{N}}_])"))];
    }

    private static IEnumerable<string> Strings(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => [element.GetString()!],
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => Strings(p.Value)),
        _ => [],
    };

    private static Dictionary<string, string> ReadResx(string name) =>
        XDocument.Load(Path.Combine(ResourcesFolder, name)).Root!.Elements("data")
            .ToDictionary(d => (string)d.Attribute("name")!, d => (string?)d.Element("value") ?? "", StringComparer.Ordinal);

    private static int[] Placeholders(string text) => [.. PlaceholderPattern().Matches(text).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Distinct()];

    [GeneratedRegex(@"\{(\d+)(?::[^}]*)?\}")]
    private static partial Regex PlaceholderPattern();

    [GeneratedRegex(@"L\.(?:t|plural)\((?:type === 'started' \? )?'([A-Za-z.]+)'")]
    private static partial Regex ScriptKey();

    [GeneratedRegex(@"""([A-Z][A-Za-z]+\.[A-Za-z.]+)""")]
    private static partial Regex KeyLiteral();
}
