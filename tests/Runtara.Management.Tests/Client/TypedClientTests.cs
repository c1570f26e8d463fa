using System.Text.Json;
using System.Text.Json.Serialization;
using Google.Protobuf;
using Runtara.Protocol.Environment;
using InstanceStatus = Runtara.Protocol.Contracts.InstanceStatus;
using ProtoStatus = Runtara.Protocol.Environment.InstanceStatus;

namespace Runtara.Management.Tests.Client;

/// <summary>The typed start, result and signal calls (issue 14): JSON through source-generated type info.</summary>
public sealed class TypedClientTests : IAsyncLifetime
{
    private static readonly WaitOptions FastPolls = new() { PollInterval = TimeSpan.FromMilliseconds(10), Timeout = Timeout.InfiniteTimeSpan };
    private StubEnvironment _stub = null!;

    public async Task InitializeAsync() => _stub = await StubEnvironment.StartAsync();

    public async Task DisposeAsync() => await _stub.DisposeAsync();

    [Fact]
    public async Task Typed_start_sends_the_input_serialized_with_its_type_info()
    {
        _stub.Answer = _ => new RpcResponse { StartInstance = new StartInstanceResponse { Success = true, InstanceId = "order-1" } };
        await using var client = _stub.Client("t");

        var id = await client.StartInstanceAsync(new StartInstanceOptions { ImageId = "img", InstanceId = "order-1" }, new OrderInput("o-42", 3), TestJson.Default.OrderInput);

        Assert.Equal("order-1", id);
        var request = _stub.Requests.Single().StartInstance;
        Assert.Equal(("img", "t"), (request.ImageId, request.TenantId));
        Assert.Equal("""{"orderId":"o-42","quantity":3}""", request.Input.ToStringUtf8());
    }

    [Fact]
    public async Task Typed_start_refuses_a_second_untyped_input()
    {
        await using var client = _stub.Client("t");

        await Assert.ThrowsAsync<ArgumentException>(() =>
            client.StartInstanceAsync(new StartInstanceOptions { ImageId = "img", Input = "{}" }, new OrderInput("o", 1), TestJson.Default.OrderInput));
        Assert.Empty(_stub.Requests);
    }

    [Fact]
    public async Task Result_waits_through_running_and_suspended_and_returns_the_typed_output()
    {
        var polls = 0;
        _stub.Answer = _ => Status(Interlocked.Increment(ref polls) switch
        {
            1 => ProtoStatus.StatusRunning,
            2 => ProtoStatus.StatusSuspended,
            _ => ProtoStatus.StatusCompleted,
        }, output: """{"orderId":"o-42","approvedBy":"alice"}""");
        await using var client = _stub.Client("t");

        var result = await client.GetResultAsync("order-1", TestJson.Default.OrderResult, FastPolls);

        Assert.Equal(new OrderResult("o-42", "alice"), result);
        Assert.Equal(3, _stub.Requests.Count);
        Assert.All(_stub.Requests, r => Assert.Equal(("order-1", "t"), (r.GetInstanceStatus.InstanceId, r.GetInstanceStatus.TenantId)));
    }

    [Theory]
    [InlineData(ProtoStatus.StatusFailed, InstanceStatus.Failed, "card declined")]
    [InlineData(ProtoStatus.StatusCancelled, InstanceStatus.Cancelled, null)]
    public async Task Result_of_an_instance_that_ended_without_one_is_instance_failed_with_status_and_error(ProtoStatus status, InstanceStatus expected, string? error)
    {
        _stub.Answer = _ => Status(status, error: error);
        await using var client = _stub.Client();

        var failure = await Assert.ThrowsAsync<InstanceFailedException>(() => client.GetResultAsync("order-1", TestJson.Default.OrderResult, FastPolls));

        Assert.Equal(("INSTANCE_FAILED", "order-1", expected, error), (failure.Code, failure.InstanceId, failure.Status, failure.Error));
    }

    [Fact]
    public async Task Result_wait_ends_with_the_callers_token()
    {
        await using var client = _stub.Client();
        using var cancellation = new CancellationTokenSource();
        var polled = new TaskCompletionSource();
        _stub.Answer = _ =>
        {
            polled.TrySetResult();
            return Status(ProtoStatus.StatusSuspended);
        };

        var wait = client.GetResultAsync("order-1", TestJson.Default.OrderResult, FastPolls, cancellationToken: cancellation.Token);
        await polled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Typed_signal_is_a_custom_signal_with_a_json_payload()
    {
        _stub.Answer = _ => new RpcResponse { SendCustomSignal = new SendCustomSignalResponse { Success = true } };
        await using var client = _stub.Client("t");

        await client.SendSignalAsync("order-1", "approve", new Approval("alice"), TestJson.Default.Approval);

        var request = _stub.Requests.Single().SendCustomSignal;
        Assert.Equal(("order-1", "approve", "t"), (request.InstanceId, request.CheckpointId, request.TenantId));
        Assert.Equal("alice", JsonDocument.Parse(request.Payload.Memory).RootElement.GetProperty("approvedBy").GetString());
    }

    private static RpcResponse Status(ProtoStatus status, string? output = null, string? error = null)
    {
        var response = new GetInstanceStatusResponse { Found = true, InstanceId = "order-1", TenantId = "t", Status = status };
        if (output is not null)
        {
            response.Output = ByteString.CopyFromUtf8(output);
        }

        if (error is not null)
        {
            response.Error = error;
        }

        return new RpcResponse { GetInstanceStatus = response };
    }
}

public sealed record OrderInput(string OrderId, int Quantity);

public sealed record OrderResult(string OrderId, string ApprovedBy);

public sealed record Approval(string ApprovedBy);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(OrderInput))]
[JsonSerializable(typeof(OrderResult))]
[JsonSerializable(typeof(Approval))]
internal sealed partial class TestJson : JsonSerializerContext;
