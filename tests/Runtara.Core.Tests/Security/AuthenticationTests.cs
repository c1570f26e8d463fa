using Google.Protobuf;
using Runtara.Core.Tests.Infrastructure;
using Runtara.Protocol.Instance;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;
using Mgmt = Runtara.Protocol.Management;

namespace Runtara.Core.Tests.Security;

/// <summary>
/// The core's credentials (docs/security.md) over real TLS connections: instance tokens bound to one
/// instance and tenant, expiry, forgery, renewal, and the management protocol's service token.
/// </summary>
[Collection(SqliteCollection.Name)]
public sealed class AuthenticationTests(SqliteCoreFixture fixture) : CoreTestBase(fixture)
{
    private InstanceApi InstanceClient(string? credential) =>
        new(new RpcClient<RpcRequest, RpcResponse>(CoreHost.ClientOptions(Core.Endpoints.InstancePort, Core.Endpoints.CertificatePath!, 2, credential)));

    private RpcClient<Mgmt.RpcRequest, Mgmt.RpcResponse> ManagementClient(string? credential) =>
        new(CoreHost.ClientOptions(Core.Endpoints.ManagementPort, Core.Endpoints.CertificatePath!, 2, credential));

    private string TokenFor(string instanceId, string tenantId, TimeSpan? lifetime = null) =>
        TestCredentials.InstanceToken(Core.DataDirectory, instanceId, tenantId, lifetime);

    [SkippableFact(Timeout = Timeout)]
    public async Task An_instance_token_works_for_its_own_instance()
    {
        var (id, tenant) = (Ids.Instance(), Ids.Tenant());
        await using var own = InstanceClient(TokenFor(id, tenant));
        Assert.True((await own.RegisterAsync(id, tenant)).Success);
        Assert.False((await own.CheckpointAsync(id, "cp-1", Bytes("state"))).Found);
        Assert.True((await own.GetCheckpointAsync(id, "cp-1")).Found);
        Assert.Equal(id, (await own.StatusAsync(id)).InstanceId);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task An_empty_request_without_a_credential_is_refused_as_unauthenticated_before_anything_else()
    {
        await using var anonymous = InstanceClient(null);
        await AssertRpcErrorAsync(RpcErrorCodes.Unauthenticated, () => anonymous.Client.CallAsync(new RpcRequest()));
        await using var management = ManagementClient(null);
        await AssertRpcErrorAsync(RpcErrorCodes.Unauthenticated, () => management.CallAsync(new Mgmt.RpcRequest()));

        // With a valid credential the same request is answered as empty.
        var id = Ids.Instance();
        await using var own = InstanceClient(TokenFor(id, Ids.Tenant()));
        await AssertRpcErrorAsync(RpcErrorCodes.EmptyRequest, () => own.Client.CallAsync(new RpcRequest()));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_token_whose_signature_is_spelled_another_way_is_refused()
    {
        var (id, tenant) = (Ids.Instance(), Ids.Tenant());
        var token = TokenFor(id, tenant);
        foreach (var altered in new[] { token + "=", token + "==", token.Replace('-', '+').Replace('_', '/') + (token.Contains('-', StringComparison.Ordinal) || token.Contains('_', StringComparison.Ordinal) ? string.Empty : "=") })
        {
            await using var client = InstanceClient(altered);
            await AssertRpcErrorAsync(RpcErrorCodes.Unauthenticated, () => client.RegisterAsync(id, tenant));
        }

        await using var genuine = InstanceClient(token);
        Assert.True((await genuine.RegisterAsync(id, tenant)).Success);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_token_for_the_right_instance_but_another_tenant_is_refused_on_every_call()
    {
        var (id, tenant) = await RunningInstanceAsync("tenant-bound");
        await Instance.CheckpointAsync(id, "secret", Bytes("tenant state"));
        await using var wrongTenant = InstanceClient(TokenFor(id, Ids.Tenant()));

        await AssertRpcErrorAsync(RpcErrorCodes.PermissionDenied, () => wrongTenant.GetCheckpointAsync(id, "secret"));
        await AssertRpcErrorAsync(RpcErrorCodes.PermissionDenied, () => wrongTenant.CheckpointAsync(id, "forged", Bytes("x")));
        await AssertRpcErrorAsync(RpcErrorCodes.PermissionDenied, () => wrongTenant.SleepAsync(id, 10, "nap"));
        await AssertRpcErrorAsync(RpcErrorCodes.PermissionDenied, () => wrongTenant.EventAsync(id, InstanceEventType.EventCompleted));
        await AssertRpcErrorAsync(RpcErrorCodes.PermissionDenied, () => wrongTenant.StatusAsync(id));
        await AssertRpcErrorAsync(RpcErrorCodes.PermissionDenied, () => wrongTenant.WaitAsync(id, "wait:x", ["x"], suspend: false));
        Assert.Equal(Mgmt.InstanceStatus.StatusRunning, (await Management.StatusAsync(id)).Status);

        await using var rightTenant = InstanceClient(TokenFor(id, tenant));
        Assert.True((await rightTenant.GetCheckpointAsync(id, "secret")).Found);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_valid_token_of_another_instance_cannot_act_on_this_one()
    {
        var (victim, victimTenant) = await RunningInstanceAsync("victim");
        await Instance.CheckpointAsync(victim, "secret", Bytes("victim state"));
        var (attacker, tenant) = (Ids.Instance("attacker"), Ids.Tenant());
        await using var client = InstanceClient(TokenFor(attacker, tenant));
        await client.RegisterAsync(attacker, tenant);

        await AssertRpcErrorAsync(RpcErrorCodes.PermissionDenied, () => client.GetCheckpointAsync(victim, "secret"));
        await AssertRpcErrorAsync(RpcErrorCodes.PermissionDenied, () => client.CheckpointAsync(victim, "forged", Bytes("x")));
        await AssertRpcErrorAsync(RpcErrorCodes.PermissionDenied, () => client.StatusAsync(victim));
        await AssertRpcErrorAsync(RpcErrorCodes.PermissionDenied, () => client.PollAsync(victim));
        await AssertRpcErrorAsync(RpcErrorCodes.PermissionDenied, () => client.EventAsync(victim, InstanceEventType.EventCompleted));
        await AssertRpcErrorAsync(RpcErrorCodes.PermissionDenied, () => client.RegisterAsync(victim, victimTenant));
        // Registering its own instance under another tenant is refused too.
        await AssertRpcErrorAsync(RpcErrorCodes.PermissionDenied, () => client.RegisterAsync(attacker, victimTenant));

        // A one-way batch that names the victim is dropped: nothing reaches the victim's history.
        await client.EventBatchAsync(InstanceApi.NewEvent(victim, InstanceEventType.EventCompleted));
        Assert.Equal(Mgmt.InstanceStatus.StatusRunning, (await Management.StatusAsync(victim)).Status);
        Assert.False((await Instance.CheckpointAsync(victim, "forged", Bytes("y"))).Found);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Missing_expired_and_forged_tokens_are_unauthenticated()
    {
        var (id, tenant) = await RunningInstanceAsync();
        await using (var none = InstanceClient(null))
        {
            await AssertRpcErrorAsync(RpcErrorCodes.Unauthenticated, () => none.StatusAsync(id));
        }

        await using (var expired = InstanceClient(TokenFor(id, tenant, TimeSpan.FromMilliseconds(-1))))
        {
            await AssertRpcErrorAsync(RpcErrorCodes.Unauthenticated, () => expired.StatusAsync(id));
        }

        var otherKey = new TokenKeyRing(new Dictionary<string, byte[]> { [TestCredentials.Keys(Core.DataDirectory).SigningKeyId] = Convert.FromBase64String(TokenKeyRing.NewSecret()) }, TestCredentials.Keys(Core.DataDirectory).SigningKeyId);
        await using (var forged = InstanceClient(otherKey.Mint(TokenKind.Service, "evil", string.Empty, DateTimeOffset.UtcNow.AddHours(1))))
        {
            await AssertRpcErrorAsync(RpcErrorCodes.Unauthenticated, () => forged.StatusAsync(id));
        }

        var genuine = TokenFor(id, tenant);
        var tampered = genuine[..^2] + (genuine[^2] == 'A' ? "B" : "A") + genuine[^1];
        await using (var tamperedClient = InstanceClient(tampered))
        {
            await AssertRpcErrorAsync(RpcErrorCodes.Unauthenticated, () => tamperedClient.StatusAsync(id));
        }

        await using (var garbage = InstanceClient("not-a-token"))
        {
            await AssertRpcErrorAsync(RpcErrorCodes.Unauthenticated, () => garbage.StatusAsync(id));
        }
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_token_that_expires_on_an_open_connection_is_refused_from_then_on()
    {
        var (id, tenant) = await RunningInstanceAsync();
        await using var client = InstanceClient(TokenFor(id, tenant, TimeSpan.FromSeconds(2)));
        Assert.Equal(id, (await client.StatusAsync(id)).InstanceId);
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        await AssertRpcErrorAsync(RpcErrorCodes.Unauthenticated, () => client.StatusAsync(id));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_connection_keeps_its_first_verified_credential_for_requests_that_leave_theirs_empty()
    {
        var (a, tenantA) = await RunningInstanceAsync("bound");
        var (b, tenantB) = await RunningInstanceAsync("other");
        static RpcRequest Status(string instanceId, string credential) =>
            new() { GetInstanceStatus = new GetInstanceStatusRequest { InstanceId = instanceId }, Credential = credential };

        // One connection (sequential calls), each request with the credential set here.
        await using var client = InstanceClient(null);
        var first = await client.Client.CallAsync(Status(a, TokenFor(a, tenantA)));
        Assert.True(first.CredentialBound);
        var presentedAgain = await client.Client.CallAsync(Status(a, string.Empty));
        Assert.Equal(a, presentedAgain.GetInstanceStatus.InstanceId);
        Assert.False(presentedAgain.CredentialBound);

        // Another token on the connection is verified and used for its own call, but the connection's stays the first.
        var other = await client.Client.CallAsync(Status(b, TokenFor(b, tenantB)));
        Assert.Equal(b, other.GetInstanceStatus.InstanceId);
        Assert.False(other.CredentialBound);
        await AssertRpcErrorAsync(RpcErrorCodes.PermissionDenied, () => client.Client.CallAsync(Status(b, string.Empty)));
        Assert.Equal(a, (await client.Client.CallAsync(Status(a, string.Empty))).GetInstanceStatus.InstanceId);

        // A connection that has verified nothing has no credential to present.
        await using var fresh = InstanceClient(null);
        await AssertRpcErrorAsync(RpcErrorCodes.Unauthenticated, () => fresh.Client.CallAsync(Status(a, string.Empty)));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_client_leaves_out_the_credential_its_connection_is_bound_to_and_renews_without_it()
    {
        var (id, tenant) = (Ids.Instance(), Ids.Tenant());
        var token = TokenFor(id, tenant);
        await using var client = InstanceClient(token);
        await client.RegisterAsync(id, tenant);

        // The client's request object comes back as it was: the credential is only left out on the wire.
        var request = new RpcRequest { GetInstanceStatus = new GetInstanceStatusRequest { InstanceId = id } };
        var answer = await client.Client.CallAsync(request);
        Assert.Equal(id, answer.GetInstanceStatus.InstanceId);
        Assert.False(answer.CredentialBound); // sent in full, the server would have said it is the bound one
        Assert.Equal(token, request.Credential);

        var renewed = (await client.Client.CallAsync(new RpcRequest { RenewCredential = new RenewCredentialRequest { InstanceId = id } })).RenewCredential;
        Assert.True(TestCredentials.Keys(Core.DataDirectory).TryVerify(renewed.Credential, DateTimeOffset.UtcNow, out var claims, out _));
        Assert.Equal((TokenKind.Instance, id, tenant), (claims!.Kind, claims.Subject, claims.TenantId));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task RenewCredential_hands_out_a_fresh_token_for_the_same_instance_only()
    {
        var (id, tenant) = (Ids.Instance(), Ids.Tenant());
        var shortLived = TokenFor(id, tenant, TimeSpan.FromSeconds(30));
        await using var client = InstanceClient(shortLived);
        await client.RegisterAsync(id, tenant);

        var renewed = (await client.Client.CallAsync(new RpcRequest { RenewCredential = new RenewCredentialRequest { InstanceId = id } })).RenewCredential;
        Assert.True(TestCredentials.Keys(Core.DataDirectory).TryVerify(renewed.Credential, DateTimeOffset.UtcNow, out var claims, out _));
        Assert.Equal((TokenKind.Instance, id, tenant), (claims!.Kind, claims.Subject, claims.TenantId));
        Assert.True(renewed.ExpiresAtMs > DateTimeOffset.UtcNow.AddMinutes(30).ToUnixTimeMilliseconds());

        await using var withRenewed = InstanceClient(renewed.Credential);
        Assert.Equal(id, (await withRenewed.StatusAsync(id)).InstanceId);
        await AssertRpcErrorAsync(RpcErrorCodes.PermissionDenied, () => client.Client.CallAsync(new RpcRequest { RenewCredential = new RenewCredentialRequest { InstanceId = Ids.Instance() } }));
        await AssertRpcErrorAsync(RpcErrorCodes.PermissionDenied, () => Instance.Client.CallAsync(new RpcRequest { RenewCredential = new RenewCredentialRequest { InstanceId = id } }));
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task The_management_protocol_needs_the_service_token()
    {
        var (id, tenant) = await RunningInstanceAsync();
        var health = new Mgmt.RpcRequest { HealthCheck = new Mgmt.HealthCheckRequest() };
        await using (var none = ManagementClient(null))
        {
            await AssertRpcErrorAsync(RpcErrorCodes.Unauthenticated, () => none.CallAsync(health));
        }

        await using (var instanceToken = ManagementClient(TokenFor(id, tenant)))
        {
            await AssertRpcErrorAsync(RpcErrorCodes.PermissionDenied, () => instanceToken.CallAsync(new Mgmt.RpcRequest
            {
                SendSignal = new Mgmt.SendSignalRequest { InstanceId = id, SignalType = Mgmt.SignalType.SignalCancel, Payload = ByteString.Empty },
            }));
        }

        await using var service = ManagementClient(Core.ServiceToken);
        Assert.True((await service.CallAsync(health)).HealthCheck.Healthy);
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_peer_that_has_not_authenticated_cannot_announce_a_large_frame()
    {
        // The header alone is sent: the answer proves the server refused without waiting for the payload.
        var header = new byte[Runtara.Protocol.Framing.FrameCodec.HeaderSize];
        Runtara.Protocol.Framing.FrameCodec.WriteHeader(header, Runtara.Protocol.Framing.FrameType.Request, 10 * 1024 * 1024);
        foreach (var port in new[] { Core.Endpoints.InstancePort, Core.Endpoints.ManagementPort })
        {
            await using var raw = await RawFrameClient.ConnectAsync(port);
            await raw.WriteAsync(header);
            var answer = await raw.ReadFrameAsync(TimeSpan.FromSeconds(10));

            Assert.NotNull(answer);
            Assert.Equal(Runtara.Protocol.Framing.FrameType.Error, answer.Value.Type);
            var error = RpcErrorFrame.Parser.ParseFrom(answer.Value.Payload);
            Assert.Equal(RpcErrorCodes.FrameTooLarge, error.Code);
            Assert.Contains("authenticated", error.Message, StringComparison.Ordinal);
        }
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task A_clients_large_first_request_on_a_new_connection_succeeds()
    {
        var (id, tenant) = await RunningInstanceAsync();
        // 3 MiB: this core caps checkpoints at 4 MiB; anything above the 64 KiB pre-authentication cap shows the point.
        var state = new byte[3 * 1024 * 1024];
        Random.Shared.NextBytes(state);

        // Fresh clients: the 3 MiB request is the first one on their connection.
        await using (var own = InstanceClient(TokenFor(id, tenant)))
        {
            Assert.False((await own.CheckpointAsync(id, "big", state)).Found);
        }

        await using (var management = ManagementClient(Core.ServiceToken))
        {
            var stored = await management.CallAsync(new Mgmt.RpcRequest { GetCheckpoint = new Mgmt.GetCheckpointRequest { InstanceId = id, CheckpointId = "big" } });
            Assert.Equal(state, stored.GetCheckpoint.Data.ToByteArray());
        }

        await using var service = ManagementClient(Core.ServiceToken);
        await service.CallAsync(new Mgmt.RpcRequest
        {
            SendCustomSignal = new Mgmt.SendCustomSignalRequest { InstanceId = id, CheckpointId = "big-signal", Payload = ByteString.CopyFrom(state) },
        });
    }

    [SkippableFact(Timeout = Timeout)]
    public async Task Only_the_environments_service_token_shape_is_accepted_on_either_port()
    {
        var keys = TestCredentials.Keys(Core.DataDirectory);
        var expires = DateTimeOffset.UtcNow.AddHours(1);
        // A fresh request per call: the client fills in the credential only when the request has none.
        static Mgmt.RpcRequest Health() => new() { HealthCheck = new Mgmt.HealthCheckRequest() };
        var (id, tenant) = (Ids.Instance(), Ids.Tenant());
        foreach (var lookalike in new[]
        {
            keys.Mint(TokenKind.Service, "tests", string.Empty, expires),
            keys.Mint(TokenKind.Service, TokenKeyRing.ServiceSubject, tenant, expires),
            keys.Mint(TokenKind.Service, "Environment", string.Empty, expires),
        })
        {
            await using (var management = ManagementClient(lookalike))
            {
                await AssertRpcErrorAsync(RpcErrorCodes.Unauthenticated, () => management.CallAsync(Health()));
            }

            await using var instance = InstanceClient(lookalike);
            await AssertRpcErrorAsync(RpcErrorCodes.Unauthenticated, () => instance.RegisterAsync(id, tenant));
        }

        await using var genuine = ManagementClient(keys.MintService(expires));
        Assert.True((await genuine.CallAsync(Health())).HealthCheck.Healthy);
        await using var onInstancePort = InstanceClient(keys.MintService(expires));
        Assert.True((await onInstancePort.RegisterAsync(id, tenant)).Success);
    }
}

/// <summary>Mutual TLS on the core's management port (the environment → core link), as configured.</summary>
public sealed class ManagementMutualTlsTests : IDisposable
{
    private readonly TempDirectory _directory = new("runtara-core-mtls");
    private readonly TempDirectory _client = new("runtara-mtls-client");

    public void Dispose()
    {
        _directory.Dispose();
        _client.Dispose();
    }

    [Fact(Timeout = CoreTestBase.Timeout)]
    public async Task The_management_port_refuses_a_client_without_the_trusted_certificate()
    {
        Runtara.Protocol.Security.DevelopmentCertificate.GetOrCreate(_client.Path).Dispose();
        var clientCertificate = Runtara.Protocol.Security.DevelopmentCertificate.CertificatePath(_client.Path);
        await using var core = await CoreHost.StartAsync(_directory.Path, settings: new Dictionary<string, string?>
        {
            ["Runtara:Core:ManagementRequireClientCertificate"] = "true",
            ["Runtara:Core:ManagementClientCaCertificatePath"] = clientCertificate,
        });
        var health = new Mgmt.RpcRequest { HealthCheck = new Mgmt.HealthCheckRequest() };

        var withCertificate = CoreHost.ClientOptions(core.Endpoints.ManagementPort, core.Endpoints.CertificatePath!, 1, core.ServiceToken);
        withCertificate.Tls.ClientCertificatePath = clientCertificate;
        withCertificate.Tls.ClientKeyPath = Path.Combine(_client.Path, Runtara.Protocol.Security.DevelopmentCertificate.KeyFileName);
        await using (var trusted = new RpcClient<Mgmt.RpcRequest, Mgmt.RpcResponse>(withCertificate))
        {
            Assert.True((await trusted.CallAsync(health)).HealthCheck.Healthy);
        }

        await using (var anonymous = new RpcClient<Mgmt.RpcRequest, Mgmt.RpcResponse>(CoreHost.ClientOptions(core.Endpoints.ManagementPort, core.Endpoints.CertificatePath!, 1, core.ServiceToken)))
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => anonymous.CallAsync(health));
            Assert.Contains(error.Code, new[] { RpcErrorCodes.TlsFailure, RpcErrorCodes.Unavailable, RpcErrorCodes.ConnectionClosed });
        }

        // The instance port does not ask instances for certificates.
        await using var instance = new RpcClient<RpcRequest, RpcResponse>(CoreHost.ClientOptions(core.Endpoints.InstancePort, core.Endpoints.CertificatePath!, 1, core.ServiceToken));
        await instance.CallAsync(new RpcRequest { RegisterInstance = new RegisterInstanceRequest { InstanceId = Ids.Instance(), TenantId = Ids.Tenant() } });
    }
}
