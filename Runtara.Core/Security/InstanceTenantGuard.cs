using System.Collections.Concurrent;
using Runtara.Engine.Storage;
using Runtara.Protocol.Rpc;

namespace Runtara.Core.Security;

/// <summary>
/// Binds an instance token's tenant on every call, not only at RegisterInstance: the instance the
/// token names must belong to the token's tenant. An instance's tenant never changes, so it is
/// cached (filled at registration or by one read) and a call pays a dictionary lookup.
/// </summary>
internal sealed class InstanceTenantGuard(ICoreStore store)
{
    // Far more instances than one core serves at once; a full cache is simply emptied and refilled.
    private const int MaxCached = 100_000;

    private readonly ConcurrentDictionary<string, string> _tenants = new(StringComparer.Ordinal);

    /// <summary>Remembers the tenant a registration established.</summary>
    public void Remember(string instanceId, string tenantId)
    {
        if (_tenants.Count >= MaxCached)
        {
            _tenants.Clear();
        }

        _tenants[instanceId] = tenantId;
    }

    /// <summary>Throws PERMISSION_DENIED when the instance token's instance belongs to another tenant; an unknown instance passes (the call then finds no instance).</summary>
    public async ValueTask EnsureAsync(RpcIdentity? identity, CancellationToken cancellationToken)
    {
        if (identity is not TokenIdentity { IsService: false } token)
        {
            return;
        }

        var instanceId = token.Claims.Subject;
        if (!_tenants.TryGetValue(instanceId, out var tenant))
        {
            if (await store.GetInstanceAsync(instanceId, cancellationToken).ConfigureAwait(false) is not { } instance)
            {
                return;
            }

            tenant = instance.TenantId;
            Remember(instanceId, tenant);
        }

        if (!string.Equals(tenant, token.Claims.TenantId, StringComparison.Ordinal))
        {
            throw new RpcException(RpcErrorCodes.PermissionDenied, $"the token of {token} does not allow calls on instance '{instanceId}': it belongs to another tenant");
        }
    }
}
