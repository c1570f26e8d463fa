using System.Text;
using Runtara.Protocol.Contracts;

namespace Runtara.Protocol.Tests.Contracts;

public sealed class WaitOutcomeTests
{
    [Fact]
    public void Each_kind_of_outcome_reads_back_as_it_was_stored()
    {
        var signal = new WaitOutcome { Kind = WaitOutcome.SignalKind, Signal = "approve", Payload = "{\"by\":\"ann\"}"u8.ToArray() };
        var timeout = new WaitOutcome { Kind = WaitOutcome.TimeoutKind };
        var children = new WaitOutcome
        {
            Kind = WaitOutcome.ChildrenKind,
            Children = [new ChildOutcome { InstanceId = "p.a", Status = InstanceStatus.Completed, Output = "1"u8.ToArray() }, new ChildOutcome { InstanceId = "p.b", Status = InstanceStatus.Failed, Error = "boom" }],
        };

        var readSignal = WaitOutcome.TryParse(signal.ToJson());
        Assert.NotNull(readSignal);
        Assert.Equal("approve", readSignal.Signal);
        Assert.Equal("{\"by\":\"ann\"}", Encoding.UTF8.GetString(readSignal.Payload!));
        Assert.Equal(WaitOutcome.TimeoutKind, WaitOutcome.TryParse(timeout.ToJson())?.Kind);
        var readChildren = WaitOutcome.TryParse(children.ToJson())!.Children!;
        Assert.Equal([InstanceStatus.Completed, InstanceStatus.Failed], readChildren.Select(c => c.Status));
        Assert.Equal("boom", readChildren[1].Error);
        Assert.Contains("\"status\":\"Completed\"", Encoding.UTF8.GetString(children.ToJson()), StringComparison.Ordinal);
    }

    [Fact]
    public void Text_that_is_not_an_outcome_reads_as_null()
    {
        Assert.Null(WaitOutcome.TryParse("not json"u8));
        Assert.Null(WaitOutcome.TryParse("{\"payload\":1}"u8));
    }
}
