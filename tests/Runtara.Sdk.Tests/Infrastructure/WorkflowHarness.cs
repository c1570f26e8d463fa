using Google.Protobuf;
using Runtara.Engine.Events;
using Runtara.Protocol.Contracts;
using Runtara.Sdk.Embedded;
using Mgmt = Runtara.Protocol.Management;

namespace Runtara.Sdk.Tests.Infrastructure;

/// <summary>What a test sees of an instance, whichever backend stores it.</summary>
public sealed record InstanceView(InstanceStatus Status, string? CheckpointId, string? Output, string? Error, DateTimeOffset? WakeAt);

/// <summary>
/// One backend for the shared workflow suite: how to connect the SDK, and the operator's view
/// (signals, status, checkpoints, retry attempts, events) — the management protocol against a core,
/// the <see cref="EmbeddedEngine"/> operator methods against the embedded backend.
/// </summary>
public interface IWorkflowHarness
{
    string Name { get; }

    /// <summary>SDK options for a new connection (fast signal polling for tests).</summary>
    RuntaraInstanceOptions Options();

    /// <summary>Environment variables of the launch contract that make a child process reach this backend.</summary>
    IReadOnlyDictionary<string, string> ChildEnvironment();

    Task SendSignalAsync(string instanceId, SignalKind kind);

    Task SendCustomSignalAsync(string instanceId, string name, byte[] payload);

    Task<InstanceView> ViewAsync(string instanceId);

    Task<IReadOnlyList<string>> CheckpointIdsAsync(string instanceId);

    Task<IReadOnlyList<(string Key, int Attempt, string? Error)>> RetryAttemptsAsync(string instanceId);

    Task<int> CountEventsAsync(string instanceId, string eventType);

    /// <summary>What an environment would be handed (ListDueWakeups): instances to relaunch, children to start.</summary>
    Task<DueWorkView> ClaimDueWorkAsync();

    /// <summary>Ends an instance as an environment does (FinishInstance).</summary>
    Task FinishAsync(string instanceId, InstanceStatus status, string? error);
}

/// <summary>Due work as a test sees it.</summary>
public sealed record DueWorkView(IReadOnlyList<string> Wakeups, IReadOnlyList<ChildStartView> Children);

/// <summary>A child to start.</summary>
public sealed record ChildStartView(string ChildId, string ParentId, string TenantId, string Image, byte[] Input);

/// <summary>The real core, in process, over loopback TLS/TCP.</summary>
public sealed class CoreHarness(CoreHost core) : IWorkflowHarness
{
    public string Name => "core";

    public CoreHost Core => core;

    public RuntaraInstanceOptions Options()
    {
        var options = core.SdkOptions();
        options.SignalPollInterval = TimeSpan.FromMilliseconds(50);
        options.InProcessSleepThreshold = CoreHost.SleepThreshold;
        return options;
    }

    public IReadOnlyDictionary<string, string> ChildEnvironment() => new Dictionary<string, string>
    {
        [InstanceEnvironment.ServerAddress] = core.InstanceAddress,
        [InstanceEnvironment.Transport] = "tcp",
        [InstanceEnvironment.PinnedCertificate] = core.CertificatePath,
        [InstanceEnvironment.InstanceToken] = core.ServiceToken,
    };

    public async Task SendSignalAsync(string instanceId, SignalKind kind)
    {
        var response = (await core.Management.CallAsync(new Mgmt.RpcRequest
        {
            SendSignal = new Mgmt.SendSignalRequest { InstanceId = instanceId, SignalType = kind.ToManagementProto() },
        })).SendSignal;
        Assert.True(response.Success, response.Error);
    }

    public async Task SendCustomSignalAsync(string instanceId, string name, byte[] payload)
    {
        var response = (await core.Management.CallAsync(new Mgmt.RpcRequest
        {
            SendCustomSignal = new Mgmt.SendCustomSignalRequest { InstanceId = instanceId, CheckpointId = name, Payload = ByteString.CopyFrom(payload) },
        })).SendCustomSignal;
        Assert.True(response.Success, response.Error);
    }

    public async Task<InstanceView> ViewAsync(string instanceId)
    {
        var status = (await core.Management.CallAsync(new Mgmt.RpcRequest { GetInstanceStatus = new Mgmt.GetInstanceStatusRequest { InstanceId = instanceId } })).GetInstanceStatus;
        return new InstanceView(
            status.Status.ToContract(),
            status.HasCheckpointId ? status.CheckpointId : null,
            status.HasOutput ? status.Output.ToStringUtf8() : null,
            status.HasError ? status.Error : null,
            status.HasWakeAtMs ? DateTimeOffset.FromUnixTimeMilliseconds(status.WakeAtMs) : null);
    }

    public async Task<IReadOnlyList<string>> CheckpointIdsAsync(string instanceId)
    {
        var response = (await core.Management.CallAsync(new Mgmt.RpcRequest
        {
            ListCheckpoints = new Mgmt.ListCheckpointsRequest { InstanceId = instanceId, Limit = 1000 },
        })).ListCheckpoints;
        return response.Checkpoints.Select(c => c.CheckpointId).ToList();
    }

    public async Task<IReadOnlyList<(string Key, int Attempt, string? Error)>> RetryAttemptsAsync(string instanceId)
    {
        var response = (await core.Management.CallAsync(new Mgmt.RpcRequest
        {
            ListRetryAttempts = new Mgmt.ListRetryAttemptsRequest { InstanceId = instanceId, Limit = 1000 },
        })).ListRetryAttempts;
        return response.Attempts.Select(a => (a.CheckpointId, (int)a.AttemptNumber, a.HasErrorMessage ? a.ErrorMessage : null)).ToList();
    }

    public async Task<int> CountEventsAsync(string instanceId, string eventType)
    {
        var response = (await core.Management.CallAsync(new Mgmt.RpcRequest
        {
            ListEvents = new Mgmt.ListEventsRequest { InstanceId = instanceId, EventType = eventType, Limit = 1000 },
        })).ListEvents;
        return response.Events.Count;
    }

    public async Task<DueWorkView> ClaimDueWorkAsync()
    {
        var response = (await core.Management.CallAsync(new Mgmt.RpcRequest
        {
            ListDueWakeups = new Mgmt.ListDueWakeupsRequest { Limit = 1000, LeaseMs = 30_000 },
        })).ListDueWakeups;
        return new DueWorkView(
            [.. response.Wakeups.Select(w => w.InstanceId)],
            [.. response.ChildStarts.Select(c => new ChildStartView(c.ChildId, c.ParentId, c.TenantId, c.Image, c.Input.ToByteArray()))]);
    }

    public async Task FinishAsync(string instanceId, InstanceStatus status, string? error)
    {
        var request = new Mgmt.FinishInstanceRequest { InstanceId = instanceId, Status = status.ToManagementProto() };
        if (error is not null)
        {
            request.Error = error;
        }

        var response = (await core.Management.CallAsync(new Mgmt.RpcRequest { FinishInstance = request })).FinishInstance;
        Assert.True(response.Applied, $"finishing {instanceId} was not applied (status {response.Status})");
    }
}

/// <summary>The embedded engine: one SQLite file per test class, shared by the SDK and the test.</summary>
public sealed class EmbeddedHarness(EmbeddedEngine engine) : IWorkflowHarness
{
    public string Name => "embedded";

    public EmbeddedEngine Engine => engine;

    public RuntaraInstanceOptions Options() => new RuntaraInstanceOptions
    {
        EmbeddedDatabasePath = engine.DatabasePath,
        SignalPollInterval = TimeSpan.FromMilliseconds(50),
        InProcessSleepThreshold = CoreHost.SleepThreshold,
    }.UseEmbeddedEngine();

    public IReadOnlyDictionary<string, string> ChildEnvironment() => new Dictionary<string, string>
    {
        [InstanceEnvironment.EmbeddedDatabase] = engine.DatabasePath,
    };

    public Task SendSignalAsync(string instanceId, SignalKind kind) => engine.SendSignalAsync(instanceId, kind);

    public Task SendCustomSignalAsync(string instanceId, string name, byte[] payload) => engine.SendCustomSignalAsync(instanceId, name, payload);

    public async Task<InstanceView> ViewAsync(string instanceId)
    {
        var instance = await engine.GetInstanceAsync(instanceId);
        return instance is null
            ? new InstanceView(InstanceStatus.Unknown, null, null, null, null)
            : new InstanceView(
                instance.Status,
                instance.CheckpointId,
                instance.Output is { } output ? System.Text.Encoding.UTF8.GetString(output) : null,
                instance.Error,
                instance.SleepUntilMs is { } wakeAt ? DateTimeOffset.FromUnixTimeMilliseconds(wakeAt) : null);
    }

    public async Task<IReadOnlyList<string>> CheckpointIdsAsync(string instanceId) =>
        (await engine.ListCheckpointsAsync(instanceId)).Select(c => c.CheckpointId).ToList();

    public async Task<IReadOnlyList<(string Key, int Attempt, string? Error)>> RetryAttemptsAsync(string instanceId) =>
        (await engine.ListRetryAttemptsAsync(instanceId)).Select(r => (r.CheckpointId, r.AttemptNumber, r.ErrorMessage)).ToList();

    public async Task<int> CountEventsAsync(string instanceId, string eventType) =>
        (await engine.ListEventsAsync(instanceId)).Count(e => e.Kind.ToStorageName() == eventType);

    public async Task<DueWorkView> ClaimDueWorkAsync()
    {
        var due = await engine.ClaimDueWorkAsync(1000);
        return new DueWorkView(
            [.. due.Wakeups.Select(w => w.InstanceId)],
            [.. due.ChildStarts.Select(c => new ChildStartView(c.ChildId, c.ParentId, c.TenantId, c.Image, c.Input))]);
    }

    public async Task FinishAsync(string instanceId, InstanceStatus status, string? error) =>
        Assert.True(await engine.FinishInstanceAsync(instanceId, status, error), $"finishing {instanceId} was not applied");
}
