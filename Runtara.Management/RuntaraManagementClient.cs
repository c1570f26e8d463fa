using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Runtara.Management.Images;
using Runtara.Management.Mapping;
using Runtara.Protocol.Contracts;
using Runtara.Protocol.Environment;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;
using InstanceStatus = Runtara.Protocol.Contracts.InstanceStatus;

namespace Runtara.Management;

/// <summary>
/// Typed async client of the environment protocol (SPEC §16.2). Thread-safe; keep one per address.
/// Every failure is a <see cref="ManagementException"/> subtype chosen by the server's error code.
/// </summary>
public sealed partial class RuntaraManagementClient : IAsyncDisposable
{
    private readonly RpcClient<RpcRequest, RpcResponse> _client;
    private readonly ManagementClientOptions _options;

    /// <summary>Creates a client; the connection is opened on the first call.</summary>
    /// <param name="options">Address, TLS, API key, default tenant and timeouts.</param>
    /// <param name="logger">Receives connection and TLS warnings; none when null.</param>
    /// <exception cref="ManagementConfigurationException"><see cref="ManagementClientOptions.Address"/> is not a valid address.</exception>
    public RuntaraManagementClient(ManagementClientOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        try
        {
            _client = new RpcClient<RpcRequest, RpcResponse>(
                new RpcClientOptions
                {
                    Address = options.Address,
                    Transport = options.Transport,
                    ConnectTimeout = options.ConnectTimeout,
                    DefaultDeadline = options.RequestTimeout,
                    MaxConnections = 16,
                    CredentialProvider = (options.ApiKey is { Length: > 0 } ? options.ApiKey : DevelopmentSecrets.ApiKeyNextTo(options.PinnedCertificatePath)) is { } apiKey ? () => apiKey : null,
                    Tls = new ClientTlsOptions
                    {
                        ServerName = options.ServerName,
                        PinnedCertificatePath = options.PinnedCertificatePath,
                        PinnedCertificateSha256 = options.PinnedCertificateSha256,
                        CaCertificatePath = options.CaCertificatePath,
                        DangerousSkipCertificateVerification = options.SkipCertificateVerification,
                    },
                },
                logger);
        }
        catch (FormatException ex)
        {
            throw new ManagementConfigurationException("Address", ex.Message);
        }
        catch (ArgumentException ex) when (ex.ParamName == nameof(ClientTlsOptions.PinnedCertificateSha256))
        {
            throw new ManagementConfigurationException(nameof(options.PinnedCertificateSha256), $"must be a SHA-256 fingerprint, 64 hex digits (colons allowed), got '{options.PinnedCertificateSha256}'");
        }
    }

    /// <summary>The environment's address.</summary>
    public string Address => _client.Address;

    /// <summary>The environment's health, version, uptime and active instance count (HealthCheck).</summary>
    public async Task<HealthInfo> HealthAsync(CancellationToken cancellationToken = default)
    {
        var response = await CallAsync(new RpcRequest { HealthCheck = new HealthCheckRequest() }, cancellationToken).ConfigureAwait(false);
        return ProtoMapping.ToHealth(response.HealthCheck);
    }

    /// <summary>Streams an image (checked against <see cref="RegisterImageOptions.Size"/> and <see cref="RegisterImageOptions.Sha256"/>); returns its id.</summary>
    public async Task<string> RegisterImageAsync(RegisterImageOptions options, Stream content, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(content);
        var start = ProtoMapping.ToRegisterImageStart(options, Tenant(options.TenantId));
        try
        {
            var response = await _client.UploadAsync(new RpcRequest { RegisterImageStream = start }, content, progress, Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
            return response.RegisterImage.ImageId;
        }
        catch (RpcException ex)
        {
            throw ManagementException.FromError(ex.Code, ex.Message, ex);
        }
    }

    /// <summary>Registers a file (a single executable or a zip of a published app), declaring its size and SHA-256.</summary>
    public async Task<string> RegisterImageFromFileAsync(string path, RegisterImageOptions options, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.Asynchronous);
        options.Size = file.Length;
        options.Sha256 ??= Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false));
        file.Position = 0;
        return await RegisterImageAsync(options, file, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Registers a published app folder (zipped into a temporary file first, e.g. a native AOT publish with its entrypoint inferred).</summary>
    public async Task<string> RegisterImageFromDirectoryAsync(string directory, RegisterImageOptions options, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        await using var archive = await ImageArchive.CreateAsync(directory, cancellationToken).ConfigureAwait(false);
        return await RegisterImageFromFileAsync(archive.Path, options, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One page of registered images.</summary>
    /// <param name="tenantId">Only this tenant's images; default: <see cref="ManagementClientOptions.TenantId"/>, else every tenant the key may see.</param>
    /// <param name="limit">Page size.</param>
    /// <param name="offset">How many images to skip.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<ImageList> ListImagesAsync(string? tenantId = null, int limit = 100, int offset = 0, CancellationToken cancellationToken = default)
    {
        var request = new ListImagesRequest { Limit = (uint)Math.Max(0, limit), Offset = (uint)Math.Max(0, offset) };
        if ((tenantId ?? _options.TenantId) is { } tenant)
        {
            request.TenantId = tenant;
        }

        var response = (await CallAsync(new RpcRequest { ListImages = request }, cancellationToken).ConfigureAwait(false)).ListImages;
        return ProtoMapping.ToImageList(response);
    }

    /// <summary>A registered image.</summary>
    /// <exception cref="ImageNotFoundException">There is no such image for the tenant.</exception>
    public async Task<ImageInfo> GetImageAsync(string imageId, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(imageId);
        var response = (await CallAsync(new RpcRequest { GetImage = new GetImageRequest { ImageId = imageId, TenantId = Tenant(tenantId) } }, cancellationToken, imageId: imageId).ConfigureAwait(false)).GetImage;
        return response.Found ? ProtoMapping.ToImage(response.Image) : throw new ImageNotFoundException(imageId);
    }

    /// <summary>Deletes an image and its content.</summary>
    /// <exception cref="ImageNotFoundException">There is no such image for the tenant.</exception>
    /// <exception cref="ImageInUseException">Instances of the image are still running or suspended.</exception>
    public async Task DeleteImageAsync(string imageId, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(imageId);
        await CallAsync(new RpcRequest { DeleteImage = new DeleteImageRequest { ImageId = imageId, TenantId = Tenant(tenantId) } }, cancellationToken, imageId: imageId).ConfigureAwait(false);
    }

    /// <summary>The versions of an image, newest first.</summary>
    /// <param name="image">The image's id, or the name of one of the tenant's images.</param>
    /// <param name="tenantId">The tenant; null: the client's.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ImageNotFoundException">There is no such image for the tenant.</exception>
    public async Task<IReadOnlyList<ImageInfo>> ListImageVersionsAsync(string image, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(image);
        var response = (await CallAsync(new RpcRequest { ListImageVersions = new ListImageVersionsRequest { Image = image, TenantId = Tenant(tenantId) } }, cancellationToken, imageId: image).ConfigureAwait(false)).ListImageVersions;
        return [.. response.Versions.Select(ProtoMapping.ToImage)];
    }

    /// <summary>Deletes one version of an image (deleting the only one deletes the image).</summary>
    /// <exception cref="ImageNotFoundException">There is no such image or version for the tenant.</exception>
    /// <exception cref="ImageInUseException">An instance that has not finished is pinned to that version.</exception>
    public async Task DeleteImageVersionAsync(string imageId, int version, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(imageId);
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        await CallAsync(new RpcRequest { DeleteImageVersion = new DeleteImageVersionRequest { ImageId = imageId, TenantId = Tenant(tenantId), Version = (uint)version } }, cancellationToken, imageId: imageId).ConfigureAwait(false);
    }

    /// <summary>Starts an instance and returns its id (starting an existing id with the same image returns it again).</summary>
    public Task<string> StartInstanceAsync(StartInstanceOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return StartAsync(options, input: null, cancellationToken);
    }

    /// <summary>
    /// Starts an instance with <paramref name="input"/> serialized as its JSON input and returns its id
    /// (starting an existing id with the same image returns it again).
    /// </summary>
    /// <param name="options">What to start; its <see cref="StartInstanceOptions.Input"/> must be unset.</param>
    /// <param name="input">The workflow's input.</param>
    /// <param name="inputTypeInfo">How to serialize it (e.g. from a source-generated <c>JsonSerializerContext</c>, which keeps this AOT-safe).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentException"><see cref="StartInstanceOptions.Input"/> is also set.</exception>
    public Task<string> StartInstanceAsync<TInput>(StartInstanceOptions options, TInput input, JsonTypeInfo<TInput> inputTypeInfo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(inputTypeInfo);
        if (!string.IsNullOrEmpty(options.Input))
        {
            // Two inputs would leave one silently ignored.
            throw new ArgumentException("StartInstanceOptions.Input must be unset when a typed input is given.", nameof(options));
        }

        return StartAsync(options, JsonSerializer.SerializeToUtf8Bytes(input, inputTypeInfo), cancellationToken);
    }

    /// <summary>Stops an instance: cancel signal, then SIGTERM after the grace period, then SIGKILL. Returns when it is stopped.</summary>
    public async Task StopInstanceAsync(string instanceId, StopInstanceOptions? options = null, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        options ??= new StopInstanceOptions();
        var request = ProtoMapping.ToStopRequest(instanceId, options, Tenant(tenantId));
        await CallAsync(new RpcRequest { StopInstance = request }, cancellationToken, instanceId, deadline: _options.RequestTimeout + options.GracePeriod + TimeSpan.FromSeconds(15)).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes a finished (completed, failed or cancelled) instance now, with its checkpoints, events,
    /// signals, retry records, run directory and logs (docs/operations.md "Retention"). A live instance
    /// is refused with <see cref="InstanceStateException"/>; an unknown one (or another tenant's) is
    /// <see cref="InstanceNotFoundException"/>.
    /// </summary>
    public async Task DeleteInstanceAsync(string instanceId, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        await CallAsync(new RpcRequest { DeleteInstance = new DeleteInstanceRequest { InstanceId = instanceId, TenantId = Tenant(tenantId) } }, cancellationToken, instanceId).ConfigureAwait(false);
    }

    /// <summary>Relaunches a suspended instance from its last checkpoint.</summary>
    public async Task ResumeInstanceAsync(string instanceId, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        await CallAsync(new RpcRequest { ResumeInstance = new ResumeInstanceRequest { InstanceId = instanceId, TenantId = Tenant(tenantId) } }, cancellationToken, instanceId).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a FAILED or CANCELLED instance again from its last successful step, as a new instance
    /// (docs/operations.md, "Re-run and fork"): the source's image, input and settings, all its
    /// checkpoints copied, so completed steps replay and the failed one runs again.
    /// </summary>
    /// <exception cref="InstanceNotFoundException">There is no such instance for the tenant.</exception>
    /// <exception cref="InstanceStateException">The instance did not fail and was not cancelled.</exception>
    public async Task<ForkResult> RerunInstanceAsync(string instanceId, ForkOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        var request = new RerunInstanceRequest { InstanceId = instanceId, TenantId = Tenant(options?.TenantId) };
        if (options?.NewInstanceId is { } id)
        {
            request.NewInstanceId = id;
        }

        if (options?.ImageVersion is { } version)
        {
            request.ImageVersion = (uint)version;
        }

        var response = (await CallAsync(new RpcRequest { RerunInstance = request }, cancellationToken, instanceId).ConfigureAwait(false)).RerunInstance;
        return new ForkResult(response.InstanceId, (int)response.CheckpointsCopied);
    }

    /// <summary>
    /// Starts a new instance of the source's image and input whose checkpoints up to and including
    /// <paramref name="checkpointId"/> are copied from the source (later ones are not), so it replays
    /// to there and runs on. The source may be in any status.
    /// </summary>
    /// <exception cref="InstanceNotFoundException">There is no such instance for the tenant.</exception>
    /// <exception cref="ValidationException">The source has no such checkpoint.</exception>
    public async Task<ForkResult> ForkInstanceAsync(string instanceId, string checkpointId, ForkOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        ArgumentException.ThrowIfNullOrEmpty(checkpointId);
        var request = new ForkInstanceRequest { InstanceId = instanceId, TenantId = Tenant(options?.TenantId), CheckpointId = checkpointId };
        if (options?.NewInstanceId is { } id)
        {
            request.NewInstanceId = id;
        }

        if (options?.ImageVersion is { } version)
        {
            request.ImageVersion = (uint)version;
        }

        var response = (await CallAsync(new RpcRequest { ForkInstance = request }, cancellationToken, instanceId).ConfigureAwait(false)).ForkInstance;
        return new ForkResult(response.InstanceId, (int)response.CheckpointsCopied);
    }

    /// <summary>The instance's status; <see cref="InstanceNotFoundException"/> when unknown (or another tenant's).</summary>
    public async Task<InstanceInfo> GetInstanceAsync(string instanceId, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        var s = (await CallAsync(new RpcRequest { GetInstanceStatus = new GetInstanceStatusRequest { InstanceId = instanceId, TenantId = Tenant(tenantId) } }, cancellationToken, instanceId).ConfigureAwait(false)).GetInstanceStatus;
        if (!s.Found)
        {
            throw new InstanceNotFoundException(instanceId);
        }

        return ProtoMapping.ToInstance(s);
    }

    /// <summary>One page of instances matching <paramref name="options"/> (default: the newest 100 of the client's tenant).</summary>
    public async Task<InstanceList> ListInstancesAsync(ListInstancesOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ListInstancesOptions();
        var request = ProtoMapping.ToListRequest(options, options.TenantId ?? _options.TenantId);
        var response = (await CallAsync(new RpcRequest { ListInstances = request }, cancellationToken).ConfigureAwait(false)).ListInstances;
        return ProtoMapping.ToInstanceList(response);
    }

    /// <summary>Sends CANCEL or PAUSE; RESUME relaunches the instance (SPEC §9.4).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="signal"/> is <see cref="SignalKind.Unknown"/>, which has no wire value.</exception>
    public async Task SendSignalAsync(string instanceId, SignalKind signal, byte[]? payload = null, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        if (signal == SignalKind.Resume)
        {
            await ResumeInstanceAsync(instanceId, tenantId, cancellationToken).ConfigureAwait(false);
            return;
        }

        var request = new SendSignalRequest
        {
            InstanceId = instanceId,
            SignalType = signal.ToEnvironmentProto(),
            Payload = payload is null ? ByteString.Empty : ByteString.CopyFrom(payload),
            TenantId = Tenant(tenantId),
        };
        await CallAsync(new RpcRequest { SendSignal = request }, cancellationToken, instanceId).ConfigureAwait(false);
    }

    /// <summary>Sends CANCEL, with <paramref name="reason"/> as its UTF-8 payload; the instance stops at its next checkpoint or signal poll and ends CANCELLED.</summary>
    public Task CancelInstanceAsync(string instanceId, string? reason = null, string? tenantId = null, CancellationToken cancellationToken = default) =>
        SendSignalAsync(instanceId, SignalKind.Cancel, reason is null ? null : Encoding.UTF8.GetBytes(reason), tenantId, cancellationToken);

    /// <summary>Sends PAUSE; the instance suspends at its next checkpoint or signal poll, to be resumed with <see cref="ResumeInstanceAsync"/>.</summary>
    public Task PauseInstanceAsync(string instanceId, string? tenantId = null, CancellationToken cancellationToken = default) =>
        SendSignalAsync(instanceId, SignalKind.Pause, null, tenantId, cancellationToken);

    /// <summary>Delivers <paramref name="payload"/> once to the instance's next checkpoint (or poll) with <paramref name="checkpointId"/>.</summary>
    public async Task SendCustomSignalAsync(string instanceId, string checkpointId, byte[] payload, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        ArgumentException.ThrowIfNullOrEmpty(checkpointId);
        ArgumentNullException.ThrowIfNull(payload);
        await CallAsync(new RpcRequest
        {
            SendCustomSignal = new SendCustomSignalRequest { InstanceId = instanceId, CheckpointId = checkpointId, Payload = ByteString.CopyFrom(payload), TenantId = Tenant(tenantId) },
        }, cancellationToken, instanceId).ConfigureAwait(false);
    }

    /// <summary>Delivers <paramref name="payload"/>, serialized as JSON, once to the instance's wait for the signal <paramref name="name"/> (a custom signal).</summary>
    /// <param name="instanceId">The instance to signal.</param>
    /// <param name="name">The signal's name, which is the checkpoint id the workflow waits on (e.g. <c>approve</c>).</param>
    /// <param name="payload">What the workflow receives.</param>
    /// <param name="payloadTypeInfo">How to serialize it (e.g. from a source-generated <c>JsonSerializerContext</c>, which keeps this AOT-safe).</param>
    /// <param name="tenantId">The instance's tenant; default: the client's.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task SendSignalAsync<T>(string instanceId, string name, T payload, JsonTypeInfo<T> payloadTypeInfo, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(payloadTypeInfo);
        return SendCustomSignalAsync(instanceId, name, JsonSerializer.SerializeToUtf8Bytes(payload, payloadTypeInfo), tenantId, cancellationToken);
    }

    /// <summary>One page of the instance's checkpoints, newest first, without their state.</summary>
    public async Task<CheckpointList> ListCheckpointsAsync(string instanceId, int limit = 100, int offset = 0, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        var response = (await CallAsync(new RpcRequest
        {
            ListCheckpoints = new ListCheckpointsRequest { InstanceId = instanceId, Limit = (uint)Math.Max(1, limit), Offset = (uint)Math.Max(0, offset), TenantId = Tenant(tenantId) },
        }, cancellationToken, instanceId).ConfigureAwait(false)).ListCheckpoints;
        return ProtoMapping.ToCheckpointList(response);
    }

    /// <summary>A checkpoint with its state.</summary>
    /// <exception cref="CheckpointNotFoundException">The instance has no such checkpoint.</exception>
    public async Task<CheckpointData> GetCheckpointAsync(string instanceId, string checkpointId, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        ArgumentException.ThrowIfNullOrEmpty(checkpointId);
        var response = (await CallAsync(new RpcRequest
        {
            GetCheckpoint = new GetCheckpointRequest { InstanceId = instanceId, CheckpointId = checkpointId, TenantId = Tenant(tenantId) },
        }, cancellationToken, instanceId).ConfigureAwait(false)).GetCheckpoint;
        return response.Found
            ? ProtoMapping.ToCheckpointData(response)
            : throw new CheckpointNotFoundException(instanceId, checkpointId);
    }

    /// <summary>One page of the instance's events, newest first; <paramref name="eventType"/> and <paramref name="subtype"/> filter them when set.</summary>
    public async Task<EventList> ListEventsAsync(string instanceId, string? eventType = null, string? subtype = null, int limit = 100, int offset = 0, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        var request = new ListEventsRequest { InstanceId = instanceId, Limit = (uint)Math.Max(1, limit), Offset = (uint)Math.Max(0, offset), TenantId = Tenant(tenantId) };
        if (eventType is not null)
        {
            request.EventType = eventType;
        }

        if (subtype is not null)
        {
            request.Subtype = subtype;
        }

        var response = (await CallAsync(new RpcRequest { ListEvents = request }, cancellationToken, instanceId).ConfigureAwait(false)).ListEvents;
        return ProtoMapping.ToEventList(response);
    }

    /// <summary>The retry attempts the instance recorded, by step key then attempt number; <paramref name="checkpointId"/> keeps one step's.</summary>
    public async Task<RetryAttemptList> ListRetryAttemptsAsync(string instanceId, string? checkpointId = null, int limit = 100, int offset = 0, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        var request = new ListRetryAttemptsRequest { InstanceId = instanceId, Limit = (uint)Math.Max(1, limit), Offset = (uint)Math.Max(0, offset), TenantId = Tenant(tenantId) };
        if (checkpointId is not null)
        {
            request.CheckpointId = checkpointId;
        }

        var response = (await CallAsync(new RpcRequest { ListRetryAttempts = request }, cancellationToken, instanceId).ConfigureAwait(false)).ListRetryAttempts;
        return ProtoMapping.ToRetryAttemptList(response);
    }

    /// <summary>
    /// Copies the instance's captured <c>stdout</c> (the default: where the SDK's console log goes) or
    /// <c>stderr</c> (optionally only the last bytes) into <paramref name="destination"/>; false when there is none.
    /// </summary>
    public async Task<bool> GetLogsAsync(string instanceId, Stream destination, string stream = "stdout", long tailBytes = 0, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        ArgumentNullException.ThrowIfNull(destination);
        try
        {
            var response = await _client.DownloadAsync(new RpcRequest
            {
                GetInstanceLogs = new GetInstanceLogsRequest { InstanceId = instanceId, Stream = stream, TailBytes = (ulong)Math.Max(0, tailBytes), TenantId = Tenant(tenantId) },
            }, destination, _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
            return response.GetInstanceLogs.Found;
        }
        catch (RpcException ex)
        {
            throw ManagementException.FromError(ex.Code, ex.Message, ex, instanceId);
        }
    }

    /// <summary>
    /// Polls until the instance is COMPLETED, FAILED or CANCELLED (or SUSPENDED when asked), with a
    /// deadline (<see cref="WaitTimeoutException"/>), unlike the original (SPEC §19.18).
    /// </summary>
    public async Task<InstanceInfo> WaitForCompletionAsync(string instanceId, WaitOptions? options = null, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        options ??= new WaitOptions();
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var info = await GetInstanceAsync(instanceId, tenantId, cancellationToken).ConfigureAwait(false);
            if (info.IsTerminal || (options.ReturnWhenSuspended && info.Status == InstanceStatus.Suspended))
            {
                return info;
            }

            if (options.Timeout != Timeout.InfiniteTimeSpan && Stopwatch.GetElapsedTime(started) >= options.Timeout)
            {
                throw new WaitTimeoutException(instanceId, options.Timeout, info.Status);
            }

            await Task.Delay(options.PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits until the instance ends and returns its output: polls every <see cref="WaitOptions.PollInterval"/>
    /// and, unlike <see cref="WaitForCompletionAsync"/>, has no deadline unless <paramref name="options"/> sets one,
    /// because a durable instance may wait days for a signal or a sleep; <paramref name="cancellationToken"/> ends the wait.
    /// A SUSPENDED instance (sleeping, paused, waiting) is waited for.
    /// </summary>
    /// <param name="instanceId">The instance to wait for.</param>
    /// <param name="outputTypeInfo">How to read its output JSON (e.g. from a source-generated <c>JsonSerializerContext</c>).</param>
    /// <param name="options">Poll interval and an optional deadline; default: every 500 ms, no deadline.</param>
    /// <param name="tenantId">The instance's tenant; default: the client's.</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    /// <returns>The COMPLETED instance's output; default when it reported none.</returns>
    /// <exception cref="InstanceFailedException">The instance ended FAILED or CANCELLED.</exception>
    /// <exception cref="WaitTimeoutException"><paramref name="options"/> set a deadline and it passed first.</exception>
    /// <exception cref="JsonException">The output does not match <paramref name="outputTypeInfo"/>.</exception>
    public async Task<TOutput?> GetResultAsync<TOutput>(string instanceId, JsonTypeInfo<TOutput> outputTypeInfo, WaitOptions? options = null, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        ArgumentNullException.ThrowIfNull(outputTypeInfo);
        options ??= new WaitOptions { Timeout = Timeout.InfiniteTimeSpan };
        // A copy without ReturnWhenSuspended: a suspended instance has no result yet.
        var info = await WaitForCompletionAsync(instanceId, new WaitOptions { PollInterval = options.PollInterval, Timeout = options.Timeout }, tenantId, cancellationToken).ConfigureAwait(false);
        if (info.Status != InstanceStatus.Completed)
        {
            throw new InstanceFailedException(instanceId, info.Status, info.Error);
        }

        return info.Output is { } output ? output.Deserialize(outputTypeInfo) : default;
    }

    /// <summary>
    /// Per-hour or per-day counts and statistics of the tenant's finished instances (GetTenantMetrics). The
    /// environment defaults <paramref name="to"/> to now and <paramref name="from"/> to 24 hours before it.
    /// </summary>
    public async Task<TenantMetrics> GetTenantMetricsAsync(string? tenantId = null, DateTimeOffset? from = null, DateTimeOffset? to = null,
        MetricsGranularity granularity = MetricsGranularity.Hourly, CancellationToken cancellationToken = default)
    {
        var request = new GetTenantMetricsRequest
        {
            TenantId = Tenant(tenantId),
            Granularity = ProtoMapping.ToProto(granularity),
        };
        if (from is { } start)
        {
            request.StartTimeMs = start.ToUnixTimeMilliseconds();
        }

        if (to is { } end)
        {
            request.EndTimeMs = end.ToUnixTimeMilliseconds();
        }

        var response = (await CallAsync(new RpcRequest { GetTenantMetrics = request }, cancellationToken).ConfigureAwait(false)).GetTenantMetrics;
        return ProtoMapping.ToTenantMetrics(response);
    }

    /// <summary>Closes the connections to the environment.</summary>
    public ValueTask DisposeAsync() => _client.DisposeAsync();

    private string Tenant(string? tenantId) => tenantId ?? _options.TenantId ?? string.Empty;

    private async Task<string> StartAsync(StartInstanceOptions options, byte[]? input, CancellationToken cancellationToken)
    {
        var request = ProtoMapping.ToStartRequest(options, Tenant(options.TenantId), input);
        var response = await CallAsync(new RpcRequest { StartInstance = request }, cancellationToken, options.InstanceId, options.ImageId).ConfigureAwait(false);
        return response.StartInstance.InstanceId;
    }

    private async Task<RpcResponse> CallAsync(RpcRequest request, CancellationToken cancellationToken, string? instanceId = null, string? imageId = null, TimeSpan? deadline = null)
    {
        try
        {
            return await _client.CallAsync(request, deadline, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw ManagementException.FromError(ex.Code, ex.Message, ex, instanceId, imageId);
        }
    }
}
