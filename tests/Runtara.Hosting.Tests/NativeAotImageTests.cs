using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Images;
using Microsoft.Extensions.DependencyInjection;
using Runtara.Protocol.Images;
using Runtara.Testing;
using NativeAotPublish = Aspire.Hosting.Images.NativeAotPublish;
using TempDirectory = Runtara.Testing.TempDirectory;

namespace Runtara.Hosting.Tests;

/// <summary>
/// <c>WithNativeAot()</c> images through the hosting's own code: a real native AOT publish of
/// samples/Runtara.Samples.NativeAot into the folder the model gives it, a cancelled publish, and a
/// publish that fails.
/// </summary>
public sealed class NativeAotImageTests
{
    private static readonly string SampleProject = Path.Combine(Repository.Root, "samples", "Runtara.Samples.NativeAot", "Runtara.Samples.NativeAot.csproj");

    [SkippableFact]
    public async Task The_native_AOT_sample_is_published_into_a_folder_whose_only_native_executable_the_environment_runs()
    {
        Skip.If(NativeToolchain.SkipReason is not null, NativeToolchain.SkipReason);
        using var data = new TempDirectory("runtara-hosting-aot");
        var builder = DistributedApplication.CreateBuilder();
        var image = builder.AddRuntaraEnvironment("environment").WithDataDirectory(data.Path)
            .AddImage("quote", SampleProject).WithNativeAot().Resource;
        var directory = image.PublishDirectory!;
        // Left over from an earlier publish: it must not survive to make the entrypoint ambiguous.
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "stale-program"), [0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));

        var program = await NativeAotPublish.PublishAsync(image.ProjectPath, directory, timeout.Token);

        Assert.Equal("Runtara.Samples.NativeAot", program);
        Assert.Equal(program, ImageEntrypoint.Infer(directory));
        Assert.True(ImageEntrypoint.IsNativeExecutable(Path.Combine(directory, program)), "the program is an ELF/Mach-O executable");
        if (!OperatingSystem.IsWindows())
        {
            Assert.True(File.GetUnixFileMode(Path.Combine(directory, program)).HasFlag(UnixFileMode.UserExecute), "the program is executable");
        }

        Assert.False(File.Exists(Path.Combine(directory, "stale-program")), "the folder is emptied before publishing");
        Assert.False(File.Exists(Path.Combine(directory, "Runtara.Samples.NativeAot.dll")), "a native AOT publish has no managed entry assembly");
        Assert.Empty(Directory.GetFiles(directory, "*.runtimeconfig.json"));
        Assert.Empty(Directory.GetFiles(directory, "*.dbg"));
    }

    [SkippableFact]
    public async Task Cancelling_a_publish_kills_its_process_tree()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Finding the publish process reads /proc (Linux only)");
        using var data = new TempDirectory("runtara-hosting-aot");
        var directory = Path.Combine(data.Path, "published");
        using var cancel = new CancellationTokenSource();

        var publish = NativeAotPublish.PublishAsync(SampleProject, directory, cancel.Token);
        // Cancelled once the publish has started a process of its own (an MSBuild node, the compiler, ILC, the linker).
        var running = await Wait.UntilAsync(() => Task.FromResult(TreeOf(ProcessesMentioning(directory))), tree => tree.Count > 1, TimeSpan.FromSeconds(120), "the dotnet publish process and a child of it");
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => publish);
        await Wait.UntilAsync(() => Task.FromResult(running.Where(pid => Directory.Exists($"/proc/{pid}")).ToList()), alive => alive.Count == 0, TimeSpan.FromSeconds(30), "the publish processes to be gone");
    }

    [Fact(Timeout = 120_000)]
    public async Task A_failed_publish_leaves_the_image_failed_with_the_publish_error_in_its_log()
    {
        using var data = new TempDirectory("runtara-hosting-aot");
        var builder = DistributedApplication.CreateBuilder();
        var missing = Path.Combine(data.Path, "Missing", "Missing.csproj");
        var image = builder.AddRuntaraEnvironment("environment").WithDataDirectory(data.Path)
            .AddImage("broken", missing).WithNativeAot().Resource;
        using var app = builder.Build();
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        using var watching = new CancellationTokenSource();
        var log = new List<string>();
        var watch = WatchLogAsync(app.Services, image, log, watching.Token);

        await ImageOperations.RegisterAsync(image, app.Services, CancellationToken.None);

        Assert.True(notifications.TryGetCurrentState(image.Name, out var state));
        Assert.Equal(KnownResourceStates.FailedToStart, state.Snapshot.State?.Text);
        // Set when the state went to "Publishing (native AOT)".
        Assert.Contains(state.Snapshot.Properties, p => p.Name == ImageOperations.PublishDirectoryProperty && Equals(p.Value, image.PublishDirectory));
        Assert.Null(image.ImageId);
        await Wait.UntilAsync(
            () => Task.FromResult(Snapshot(log).FirstOrDefault(l => l.Contains("could not be registered", StringComparison.Ordinal))),
            line => line is not null, TimeSpan.FromSeconds(30), "the failure in the image's log");
        var text = string.Join('\n', Snapshot(log));
        Assert.Contains("publishing " + missing + " native AOT", text, StringComparison.Ordinal);
        Assert.Contains("Publishing '" + missing + "' native AOT failed", text, StringComparison.Ordinal);
        await watching.CancelAsync();
        await watch;
    }

    private static async Task WatchLogAsync(IServiceProvider services, IResource resource, List<string> log, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var batch in services.GetRequiredService<ResourceLoggerService>().WatchAsync(resource).WithCancellation(cancellationToken))
            {
                lock (log)
                {
                    log.AddRange(batch.Select(l => l.Content));
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static string[] Snapshot(List<string> log)
    {
        lock (log)
        {
            return [.. log];
        }
    }

    /// <summary>Processes whose command line contains <paramref name="text"/> (the publish and anything it started with the same argument).</summary>
    private static List<int> ProcessesMentioning(string text) =>
        [.. Directory.GetDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && CommandLine(pid).Contains(text, StringComparison.Ordinal))];

    /// <summary>The processes and all their descendants (parent ids from /proc/&lt;pid&gt;/stat).</summary>
    private static List<int> TreeOf(List<int> roots)
    {
        var parents = Directory.GetDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0)
            .Select(pid => (Pid: pid, Parent: ParentOf(pid)))
            .ToList();
        var tree = new List<int>(roots);
        for (var i = 0; i < tree.Count; i++)
        {
            tree.AddRange(parents.Where(p => p.Parent == tree[i] && !tree.Contains(p.Pid)).Select(p => p.Pid));
        }

        return tree;
    }

    private static int ParentOf(int pid)
    {
        // "pid (comm) state ppid …": comm may contain spaces, so read after its closing parenthesis.
        var stat = Read($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 1 && int.TryParse(fields[1], out var parent) ? parent : 0;
    }

    private static string CommandLine(int pid) => Read($"/proc/{pid}/cmdline").Replace('\0', ' ');

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return string.Empty; // exited meanwhile
        }
        catch (UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }
}
