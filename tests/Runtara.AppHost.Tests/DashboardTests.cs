using Microsoft.Playwright;

namespace Runtara.AppHost.Tests;

/// <summary>
/// The Aspire dashboard in a headless Chromium (Debian's, driven by Playwright): the AppHost run as a
/// real process shows core, environment and the sample images on its resources page, the start-up batch
/// job completed, and that job's instance as a resource under its image. The screenshot is kept as TestResults/dashboard.png (docs/images/dashboard.png is one).
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class DashboardTests(ITestOutputHelper output)
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);

    [SkippableFact]
    public async Task The_dashboard_lists_core_environment_and_the_samples_and_ctrl_c_leaves_no_processes()
    {
        Skip.IfNot(File.Exists(Chromium), $"{Chromium} is not installed (apt-get install -y chromium; .ci/run does it).");
        using var data = new Runtara.Testing.TempDirectory("runtara-apphost-ui");
        await using (var appHost = AppHostProcess.Start(data.Path, output.WriteLine))
        {
            await appHost.WaitForDashboardAsync(Deadline);

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = Chromium,
                Headless = true,
                // --no-sandbox: Chromium refuses to run as root with its sandbox.
                Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            });
            var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1600, Height = 900 } });
            await page.GotoAsync(appHost.DashboardUrl);

            // The start-up batch job's resource turns Completed once its instance ran to the end.
            var timeout = (float)Deadline.TotalMilliseconds;
            foreach (var resource in new[] { "core", "environment", "batch-job", "order-workflow", "quote" })
            {
                await page.GetByText(resource, new() { Exact = true }).First.WaitForAsync(new() { Timeout = timeout });
            }

            await page.GetByText("Completed", new() { Exact = true }).First.WaitForAsync(new() { Timeout = timeout });
            // Both images that are not started at registration (order-workflow, quote) end up Registered.
            await page.GetByText("Registered", new() { Exact = true }).Nth(1).WaitForAsync(new() { Timeout = timeout });
            // The batch job's instance is listed under its image as a resource of its own (issue 14).
            var instance = page.GetByText(new System.Text.RegularExpressions.Regex("^batch-job-[0-9a-f]{8}$")).First;
            await instance.WaitForAsync(new() { Timeout = timeout });
            output.WriteLine($"instance resource: {await instance.InnerTextAsync()}");
            var screenshot = Path.Combine(Repository.Root, "TestResults", "dashboard.png");
            Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
            await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
            output.WriteLine($"screenshot: {screenshot}");

            var text = await page.InnerTextAsync("body");
            Assert.Contains("core", text, StringComparison.Ordinal);
            Assert.Contains("environment", text, StringComparison.Ordinal);
            Assert.Contains("batch-job", text, StringComparison.Ordinal);
            Assert.Contains("order-workflow", text, StringComparison.Ordinal);
            Assert.Contains("quote", text, StringComparison.Ordinal);

            Assert.True(await appHost.StopAsync(TimeSpan.FromSeconds(60)), "the AppHost did not exit within 60 s of SIGINT");
        }

        var left = await LeftoverProcesses.WaitUntilGoneAsync(data.Path, TimeSpan.FromSeconds(30));
        Assert.True(left.Count == 0, "processes left behind after Ctrl+C:\n" + string.Join('\n', left));
    }
}
