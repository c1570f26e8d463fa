using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using Runtara.Protocol.Environment;
using Runtara.Protocol.Rpc;

namespace Runtara.Environment.Security;

/// <summary>A verified API key: its configured name (never the secret) and the tenants it may touch.</summary>
internal sealed class ApiKeyIdentity(string name, IReadOnlySet<string>? tenants) : RpcIdentity(long.MaxValue)
{
    public string Name { get; } = name;

    /// <summary>Null when the key may act for every tenant.</summary>
    public IReadOnlySet<string>? Tenants { get; } = tenants;

    public bool Allows(string tenantId) => Tenants is null || Tenants.Contains(tenantId);

    public override string ToString() => $"API key '{Name}'";
}

/// <summary>
/// The environment protocol: every call needs a configured API key, and every request that names a
/// tenant (or an instance or image, which belong to one) must name a tenant the key is scoped to.
/// Keys are looked up by their SHA-256, so lookup time does not depend on how much of a guess matches.
/// </summary>
internal sealed class ApiKeyAuthenticator : IRpcAuthenticator<RpcRequest>
{
    private readonly FrozenDictionary<string, ApiKeyIdentity> _byHash;

    public ApiKeyAuthenticator(IEnumerable<(string Name, string Key, IReadOnlyCollection<string> Tenants)> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _byHash = keys.ToFrozenDictionary(
            k => Hash(k.Key),
            k => new ApiKeyIdentity(k.Name, k.Tenants.Contains("*") ? null : k.Tenants.ToFrozenSet(StringComparer.Ordinal)),
            StringComparer.Ordinal);
    }

    public RpcIdentity Authenticate(string credential)
    {
        if (string.IsNullOrEmpty(credential))
        {
            throw new RpcException(RpcErrorCodes.Unauthenticated, "the environment protocol needs an API key in the envelope's credential field (runtara --api-key or RUNTARA_API_KEY)");
        }

        return _byHash.TryGetValue(Hash(credential), out var identity)
            ? identity
            : throw new RpcException(RpcErrorCodes.Unauthenticated, "the API key is not valid here");
    }

    public void Authorize(RpcIdentity identity, RpcRequest request)
    {
        var key = (ApiKeyIdentity)identity;
        if (key.Tenants is null || request.RequestCase is RpcRequest.RequestOneofCase.HealthCheck or RpcRequest.RequestOneofCase.GetCapability)
        {
            return;
        }

        var tenant = TenantOf(request);
        if (string.IsNullOrEmpty(tenant))
        {
            throw new RpcException(RpcErrorCodes.PermissionDenied, $"{key} is scoped to tenants {string.Join(", ", key.Tenants.Order(StringComparer.Ordinal))}; {request.RequestCase} must name one in tenant_id");
        }

        if (!key.Allows(tenant))
        {
            throw new RpcException(RpcErrorCodes.PermissionDenied, $"{key} may not act for tenant '{tenant}'");
        }
    }

    /// <summary>The tenant a request names; for requests about one instance, the environment also checks the instance belongs to it.</summary>
    private static string TenantOf(RpcRequest request) => request.RequestCase switch
    {
        RpcRequest.RequestOneofCase.RegisterImage => request.RegisterImage.TenantId,
        RpcRequest.RequestOneofCase.RegisterImageStream => request.RegisterImageStream.TenantId,
        RpcRequest.RequestOneofCase.ListImages => request.ListImages.TenantId,
        RpcRequest.RequestOneofCase.GetImage => request.GetImage.TenantId,
        RpcRequest.RequestOneofCase.DeleteImage => request.DeleteImage.TenantId,
        RpcRequest.RequestOneofCase.StartInstance => request.StartInstance.TenantId,
        RpcRequest.RequestOneofCase.StopInstance => request.StopInstance.TenantId,
        RpcRequest.RequestOneofCase.ResumeInstance => request.ResumeInstance.TenantId,
        RpcRequest.RequestOneofCase.GetInstanceStatus => request.GetInstanceStatus.TenantId,
        RpcRequest.RequestOneofCase.ListInstances => request.ListInstances.TenantId,
        RpcRequest.RequestOneofCase.SendSignal => request.SendSignal.TenantId,
        RpcRequest.RequestOneofCase.TestCapability => request.TestCapability.TenantId,
        RpcRequest.RequestOneofCase.ListAgents => request.ListAgents.TenantId,
        RpcRequest.RequestOneofCase.ListCheckpoints => request.ListCheckpoints.TenantId,
        RpcRequest.RequestOneofCase.GetCheckpoint => request.GetCheckpoint.TenantId,
        RpcRequest.RequestOneofCase.SendCustomSignal => request.SendCustomSignal.TenantId,
        RpcRequest.RequestOneofCase.ListEvents => request.ListEvents.TenantId,
        RpcRequest.RequestOneofCase.GetTenantMetrics => request.GetTenantMetrics.TenantId,
        RpcRequest.RequestOneofCase.GetInstanceLogs => request.GetInstanceLogs.TenantId,
        RpcRequest.RequestOneofCase.ListRetryAttempts => request.ListRetryAttempts.TenantId,
        RpcRequest.RequestOneofCase.ListImageVersions => request.ListImageVersions.TenantId,
        RpcRequest.RequestOneofCase.DeleteImageVersion => request.DeleteImageVersion.TenantId,
        RpcRequest.RequestOneofCase.RerunInstance => request.RerunInstance.TenantId,
        RpcRequest.RequestOneofCase.ForkInstance => request.ForkInstance.TenantId,
        RpcRequest.RequestOneofCase.DeleteInstance => request.DeleteInstance.TenantId,
        RpcRequest.RequestOneofCase.CreateSchedule => request.CreateSchedule.TenantId,
        RpcRequest.RequestOneofCase.GetSchedule => request.GetSchedule.TenantId,
        RpcRequest.RequestOneofCase.ListSchedules => request.ListSchedules.TenantId,
        RpcRequest.RequestOneofCase.PauseSchedule => request.PauseSchedule.TenantId,
        RpcRequest.RequestOneofCase.UnpauseSchedule => request.UnpauseSchedule.TenantId,
        RpcRequest.RequestOneofCase.TriggerSchedule => request.TriggerSchedule.TenantId,
        RpcRequest.RequestOneofCase.DeleteSchedule => request.DeleteSchedule.TenantId,
        _ => string.Empty,
    };

    private static string Hash(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
