using Runtara.Management.Tests.Client;
using Runtara.Protocol.Environment;
using InstanceStatus = Runtara.Protocol.Contracts.InstanceStatus;
using ProtoStatus = Runtara.Protocol.Environment.InstanceStatus;

namespace Runtara.Management.Tests.Models;

/// <summary>What an instance waits for (issue 14): the proto's WaitingFor and parent id on InstanceInfo, and the wait in words.</summary>
public sealed class WaitingForTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private StubEnvironment _stub = null!;

    public async Task InitializeAsync() => _stub = await StubEnvironment.StartAsync();

    public async Task DisposeAsync() => await _stub.DisposeAsync();

    [Fact]
    public async Task Status_maps_waiting_for_and_parent_id_from_the_response()
    {
        _stub.Answer = _ => Status(new WaitingFor { SignalNames = { "approve", "reject" }, DeadlineMs = Noon.ToUnixTimeMilliseconds(), Children = 3, ChildrenEnded = 1 }, parentId: "parent-1");
        await using var client = _stub.Client("t");

        var info = await client.GetInstanceAsync("order-1");

        var waiting = Assert.IsType<WaitingForInfo>(info.WaitingFor);
        Assert.Equal(["approve", "reject"], waiting.SignalNames);
        Assert.Equal(Noon, waiting.Deadline);
        Assert.Equal((3, 1), (waiting.Children, waiting.ChildrenEnded));
        Assert.Equal("parent-1", info.ParentId);
        Assert.Equal("waiting for signal approve or reject, or 3 children (1 ended) until 2026-12-03T12:00:00Z", info.DescribeWait());
    }

    [Fact]
    public async Task A_zero_deadline_is_none_and_an_absent_wait_or_parent_is_null()
    {
        _stub.Answer = _ => Status(new WaitingFor { SignalNames = { "approve" } });
        await using var client = _stub.Client("t");

        var waiting = (await client.GetInstanceAsync("order-1")).WaitingFor!;

        Assert.Null(waiting.Deadline);
        Assert.Equal("waiting for signal approve", waiting.Describe());

        _stub.Answer = _ => Status(null, status: ProtoStatus.StatusRunning);
        var running = await client.GetInstanceAsync("order-1");
        Assert.Null(running.WaitingFor);
        Assert.Null(running.ParentId);
        Assert.Null(running.DescribeWait());
    }

    [Theory]
    [InlineData(new[] { "approve" }, 0L, 0, 0, "waiting for signal approve")]
    [InlineData(new[] { "approve" }, 1L, 0, 0, "waiting for signal approve until 2026-12-03T12:00:00Z")]
    [InlineData(new[] { "approve", "reject" }, 0L, 0, 0, "waiting for signal approve or reject")]
    [InlineData(new[] { "approve", "reject", "escalate" }, 0L, 0, 0, "waiting for signal approve, reject or escalate")]
    [InlineData(new string[0], 0L, 3, 0, "waiting for 3 children")]
    [InlineData(new string[0], 0L, 3, 1, "waiting for 3 children (1 ended)")]
    [InlineData(new string[0], 0L, 1, 0, "waiting for 1 child")]
    [InlineData(new string[0], 1L, 0, 0, "waiting until 2026-12-03T12:00:00Z")]
    public void The_wait_is_described_in_words(string[] signals, long deadline, int children, int ended, string expected)
    {
        var waiting = new WaitingForInfo(signals, deadline == 0 ? null : Noon, children, ended);

        Assert.Equal(expected, waiting.Describe());
    }

    [Fact]
    public void Deadlines_are_written_in_utc_whatever_their_offset()
    {
        var waiting = new WaitingForInfo(["approve"], new DateTimeOffset(2026, 12, 3, 14, 0, 0, TimeSpan.FromHours(2)), 0, 0);

        Assert.Equal("waiting for signal approve until 2026-12-03T12:00:00Z", waiting.Describe());
    }

    [Fact]
    public void A_durable_sleep_is_described_by_its_wake_time_and_an_ended_instance_waits_for_nothing()
    {
        var sleeping = new InstanceInfo { InstanceId = "i", TenantId = "t", Status = InstanceStatus.Suspended, WakeAt = Noon };
        var paused = sleeping with { WakeAt = null };
        var completed = sleeping with { Status = InstanceStatus.Completed, WaitingFor = new WaitingForInfo(["approve"], null, 0, 0) };

        Assert.Equal("sleeping until 2026-12-03T12:00:00Z", sleeping.DescribeWait());
        Assert.Null(paused.DescribeWait());
        Assert.Null(completed.DescribeWait());
    }

    private static RpcResponse Status(WaitingFor? waiting, string? parentId = null, ProtoStatus status = ProtoStatus.StatusSuspended)
    {
        var response = new GetInstanceStatusResponse { Found = true, InstanceId = "order-1", TenantId = "t", Status = status, CreatedAtMs = 1_000 };
        if (waiting is not null)
        {
            response.WaitingFor = waiting;
        }

        if (parentId is not null)
        {
            response.ParentId = parentId;
        }

        return new RpcResponse { GetInstanceStatus = response };
    }
}
