using System.Text.Json;
using Microsoft.Extensions.Options;
using Runtara.Environment.Hosting;
using Runtara.Environment.Runner.Warm;

namespace Runtara.Environment.Runner.Oci;

/// <summary>
/// The runner the supervisor uses: <see cref="OciRunner"/> or <see cref="ProcessRunner"/> per launch,
/// as the image's metadata says (<c>"runner"</c>), else as <c>Runtara:Environment:Runner</c> says. Process
/// launches go through <see cref="WarmProcesses"/>, which hands first launches warm processes when the image has them.
/// </summary>
internal sealed class RunnerSelector : IInstanceRunner
{
    private readonly RunnerKind _default;
    private readonly OciOptions _oci;
    private readonly ProcessRunner _process;
    private readonly OciRunner _ociRunner;
    private readonly WarmProcesses _warmProcesses;

    public RunnerSelector(IOptions<EnvironmentOptions> options, ProcessRunner process, OciRunner oci, WarmProcesses warmProcesses)
    {
        ArgumentNullException.ThrowIfNull(options);
        _default = options.Value.Runner;
        _oci = options.Value.Oci;
        _process = process;
        _ociRunner = oci;
        _warmProcesses = warmProcesses;
        if (_default == RunnerKind.Oci)
        {
            // Probe now, so the start-up log says which runtime runs instances (or why none can).
            _ = Task.Run(() => oci.Runtime);
        }
    }

    public string Name => _default == RunnerKind.Oci ? _ociRunner.Name : _process.Name;

    public Task<IRunningInstance> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        RunnerKind kind;
        try
        {
            kind = OciImageSettings.Parse(request.ImageMetadata).Runner ?? _default;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            throw new LaunchFailedException(request.InstanceId, ex.Message, ex);
        }

        return kind == RunnerKind.Oci ? _ociRunner.LaunchAsync(request, cancellationToken) : _warmProcesses.LaunchAsync(request, cancellationToken);
    }

    /// <summary>Only the process runner keeps something per run beyond its watch (a container is deleted by <see cref="OciRunner.TryAdopt"/>).</summary>
    public void Forget(string instanceId) => _process.Forget(instanceId);

    /// <summary>A run that left container state (or whose process is a warm container's) is the OCI runner's to adopt (or clean up); any other is a plain process.</summary>
    public IRunningInstance? TryAdopt(string instanceId, int pid, long startTicks) =>
        Directory.Exists(Path.Combine(OciRuntime.StateRootOf(_oci), OciBundle.ContainerId(instanceId))) || OciWarmPool.ContainerOf(pid, _oci) is not null
            ? _ociRunner.TryAdopt(instanceId, pid, startTicks)
            : _process.TryAdopt(instanceId, pid, startTicks);
}
