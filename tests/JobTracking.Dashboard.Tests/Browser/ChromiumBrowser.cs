using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace JobTracking.Dashboard.Tests.Browser;

/// <summary>
/// Debian's Chromium driven by Debian's chromedriver, both at fixed paths: nothing is downloaded (no Selenium Manager).
/// Where they are missing a test is skipped saying so, except under CI (<c>CI=true</c>), where it fails.
/// </summary>
internal sealed class ChromiumBrowser : IDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string DriverPath = "/usr/bin/chromedriver";
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private ChromiumBrowser(ChromeDriver driver, string downloads)
    {
        Driver = driver;
        Downloads = downloads;
    }

    public ChromeDriver Driver { get; }

    public string Downloads { get; }

    /// <summary>Starts a headless Chromium, or skips the test (fails it under CI) when Chromium or its driver is not installed.</summary>
    /// <param name="language">The browser's language, which it asks pages for (<c>Accept-Language</c>): <c>fr</c> for the French dashboard.</param>
    /// <param name="timeZone">The browser's time zone (an IANA name, given to Chromium as <c>TZ</c>); the machine's when <see langword="null"/>.</param>
    public static ChromiumBrowser Start(string language = "en-US", string? timeZone = null)
    {
        var missing = new[] { ChromiumPath, DriverPath }.Where(p => !File.Exists(p)).ToList();
        if (missing.Count > 0)
        {
            var reason = $"Chromium is not installed ({string.Join(" and ", missing)} missing); install Debian's packages with 'apt-get install chromium chromium-driver' to run the browser tests.";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail("CI=true, so the browser tests must run: " + reason);
            }

            Assert.Skip(reason);
        }

        var downloads = Directory.CreateTempSubdirectory("jobtracking-downloads-").FullName;
        var options = new ChromeOptions { BinaryLocation = ChromiumPath };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,900", "--lang=" + language);
        options.AddUserProfilePreference("intl.accept_languages", language);
        options.AddUserProfilePreference("download.default_directory", downloads);
        options.AddUserProfilePreference("download.prompt_for_download", false);
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        if (timeZone is not null)
        {
            // chromedriver starts Chromium with its own environment.
            service.DriverProcessStarting += (_, e) => e.DriverServiceProcessStartInfo.Environment["TZ"] = timeZone;
        }

        return new ChromiumBrowser(new ChromeDriver(service, options, Timeout), downloads);
    }

    /// <summary>Waits until <paramref name="condition"/> gives a value (elements replaced by a live update are looked up again), for <paramref name="timeout"/> or the browser's default.</summary>
    public T Until<T>(Func<IWebDriver, T?> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Timeout;
        var wait = new WebDriverWait(Driver, limit) { Message = $"Waited {limit.TotalSeconds:0} s for {what}, in vain.", PollingInterval = TimeSpan.FromMilliseconds(25) };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        try
        {
            return (T)wait.Until<object>(d => condition(d))!;
        }
        catch (WebDriverTimeoutException exception)
        {
            // What the page showed, to see why.
            var shot = Path.Combine(AppContext.BaseDirectory, "screenshots", "failure.png");
            Directory.CreateDirectory(Path.GetDirectoryName(shot)!);
            Driver.GetScreenshot().SaveAsFile(shot);
            throw new WebDriverTimeoutException($"{exception.Message} The page ({Driver.Url}, screenshot {shot}) shows: {Driver.FindElement(By.TagName("body")).Text}", exception);
        }
    }

    /// <summary>Clicks a button that asks for confirmation, and accepts it.</summary>
    public void ClickAndConfirm(string selector, string expectedQuestion)
    {
        Until(d =>
        {
            d.FindElement(By.CssSelector(selector)).Click();
            return true;
        }, $"the button {selector} to be clickable");
        var alert = Until(d =>
        {
            try
            {
                return d.SwitchTo().Alert();
            }
            catch (NoAlertPresentException)
            {
                return null;
            }
        }, "the confirmation");
        alert.Text.Should().StartWith(expectedQuestion);
        alert.Accept();
    }

    public string Text(string selector) => Until(d => d.FindElement(By.CssSelector(selector)).Text, selector);

    public void Screenshot(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Driver.GetScreenshot().SaveAsFile(path);
        var png = File.ReadAllBytes(path);
        png.Length.Should().BeGreaterThan(10_000, $"{path} is a screenshot of a page");
        png.Take(4).Should().Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' });
    }

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
        try
        {
            Directory.Delete(Downloads, recursive: true);
        }
        catch (IOException)
        {
            // A download Chromium still holds open; the temporary folder is left to the system.
        }
    }
}
