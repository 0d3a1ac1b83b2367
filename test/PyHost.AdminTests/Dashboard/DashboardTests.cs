using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace PyHost.AdminTests.Dashboard;

/// <summary>
/// The dashboard in Debian's Chromium, driven by Playwright (its .NET package runs its bundled node driver; the browser
/// is /usr/bin/chromium, never a download): it shows the workers of a running PyHost, follows the load, dumps a stack
/// and reloads. Screenshots go to artifacts/dashboard/; `make dashboard-screenshot` copies the README's picture to docs/.
/// </summary>
public sealed class DashboardTests(ITestOutputHelper output)
{
    private static readonly string[] ChromiumArguments =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    private static string Screenshots => Path.Combine(Repository.Root, "artifacts", "dashboard");

    [Fact]
    public async Task TheDashboardShowsTheWorkersFollowsTheLoadDumpsAStackAndReloads()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "2", "--access-logfile", "access.log"], adminTcp: true);
        Directory.CreateDirectory(Screenshots);
        string profile = Directory.CreateTempSubdirectory("pyhost-chromium-").FullName;
        try
        {
            using IPlaywright playwright = await Playwright.CreateAsync();
            await using IBrowserContext browser = await playwright.Chromium.LaunchPersistentContextAsync(profile, new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = "/usr/bin/chromium",
                Headless = true,
                Args = ChromiumArguments,
                ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            });
            IPage page = await browser.NewPageAsync();
            page.SetDefaultTimeout(20_000);

            // The page, with the token in the fragment (never sent to the server in a URL, taken out of the address).
            await page.GotoAsync($"{site.AdminUrl}/#token={AdminSite.Token}");
            ILocator workers = page.Locator("section.app[data-app=main] .worker");
            await Assertions.Expect(workers).ToHaveCountAsync(2);
            Assert.DoesNotContain("token", page.Url);
            List<int> shownPids = (await workers.EvaluateAllAsync<int[]>("nodes => nodes.map(n => Number(n.dataset.pid))")).Order().ToList();
            Assert.Equal(Posix.Descendants(site.Process.Id).Order(), shownPids);
            await Assertions.Expect(page.Locator("section.app[data-app=main] .worker[data-state=idle]")).ToHaveCountAsync(2);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "idle.png"), FullPage = true });

            // Load: the busy workers, their requests and the rate show up. Bounded: 3 clients for 10 seconds.
            (await site.GetAsync("/boom")).AssertStatus(500);
            using var stopLoad = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            Task[] load = Enumerable.Range(0, 3).Select(client => Task.Run(async () =>
            {
                for (int n = 0; !stopLoad.IsCancellationRequested && n < 200; n++)
                {
                    await site.GetAsync($"/sleep?seconds=0.{client + 1}&n={n}");
                }
            })).ToArray();
            await Assertions.Expect(page.Locator("section.app[data-app=main] .worker[data-state=busy] .request").First).ToContainTextAsync("GET /sleep?seconds=0.");
            await Until.HoldsAsync(async () => double.Parse(await page.Locator("[data-figure=rps]").InnerTextAsync(), CultureInfo.InvariantCulture) > 1,
                TimeSpan.FromSeconds(10));
            Assert.True(double.Parse(await page.Locator("[data-figure=rps]").InnerTextAsync(), CultureInfo.InvariantCulture) > 1);
            await Assertions.Expect(page.Locator("section.app[data-app=main] .error-list summary").First).ToContainTextAsync("GET /boom: ZeroDivisionError");
            await page.Locator("section.app[data-app=main] .error-list summary").First.ClickAsync();   // its traceback
            await page.WaitForTimeoutAsync(4000);   // more points on the charts
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "dashboard.png"), FullPage = true });

            // A worker's stack, on demand.
            await page.Locator("section.app[data-app=main] .worker button[data-action=stack]").First.ClickAsync();
            await Assertions.Expect(page.Locator("#stack-text")).ToContainTextAsync("most recent call first");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "stack.png") });
            await page.Locator("#stack-close").ClickAsync();
            await Task.WhenAll(load);

            // Reload: the page's button; new workers of generation 1 replace the old ones.
            await page.Locator("section.app[data-app=main] button[data-action=reload]").ClickAsync();
            await Assertions.Expect(page.Locator("section.app[data-app=main]")).ToHaveAttributeAsync("data-generation", "1");
            await Assertions.Expect(page.Locator("#toast")).ToContainTextAsync("ok: 2 workers of generation 1 ready");
            Assert.Contains("Reloading (dashboard)", site.Process.Output);
            Assert.True(await Until.HoldsAsync(async () =>
            {
                int[] pids = await page.Locator("section.app[data-app=main] .worker[data-state=idle]").EvaluateAllAsync<int[]>("nodes => nodes.map(n => Number(n.dataset.pid))");
                return pids.Length == 2 && !pids.Intersect(shownPids).Any();
            }, TimeSpan.FromSeconds(20)), "the page never showed two fresh idle workers");
            JsonElement app = (await site.StatusAsync()).GetProperty("apps")[0];
            Assert.Equal(1, app.GetProperty("generation").GetInt32());
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "reloaded.png"), FullPage = true });
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }
}
