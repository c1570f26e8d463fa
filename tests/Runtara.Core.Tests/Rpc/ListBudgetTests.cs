using Google.Protobuf;
using Runtara.Core.Tests.Infrastructure;
using Runtara.Protocol.Instance;
using Mgmt = Runtara.Protocol.Management;

namespace Runtara.Core.Tests.Rpc;

/// <summary>
/// List answers are bounded by bytes as well as by count (docs/protocol.md "List answers"): a page
/// ends once its items would pass <c>MaxListAnswerBytes</c>, says where the next one starts, and paging
/// returns every item exactly once; an item larger than the budget comes alone.
/// </summary>
public sealed class ListBudgetTests : IDisposable
{
    private const int Budget = 64 * 1024;
    private readonly TempDirectory _directory = new("runtara-core-list-budget");

    public void Dispose() => _directory.Dispose();

    [Fact(Timeout = CoreTestBase.Timeout)]
    public async Task Every_page_fits_the_byte_budget_and_paging_returns_everything_once()
    {
        await using var core = await CoreHost.StartAsync(_directory.Path, settings: new Dictionary<string, string?>
        {
            ["Runtara:Core:MaxListAnswerBytes"] = Budget.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var (id, tenant) = (Ids.Instance(), Ids.Tenant());
        Assert.True((await core.Instance.RegisterAsync(id, tenant)).Success);

        // Events whose payloads fill a page after three, and one larger than the whole budget.
        var sizes = Enumerable.Repeat(20 * 1024, 20).Append(100 * 1024).ToArray();
        for (var i = 0; i < sizes.Length; i++)
        {
            var payload = new byte[sizes[i]];
            Random.Shared.NextBytes(payload);
            await core.Instance.EventAsync(id, InstanceEventType.EventCustom, payload, subtype: $"e{i}");
        }

        // Checkpoints with long ids: their summaries alone pass the budget well before the count limit.
        var checkpointIds = Enumerable.Range(0, 150).Select(i => $"{i:D4}-{new string('c', 1000)}").ToList();
        foreach (var checkpointId in checkpointIds)
        {
            await core.Instance.CheckpointAsync(id, checkpointId, [1]);
        }

        var events = new List<EventSummaryKey>();
        var eventPages = 0;
        uint? offset = 0;
        while (offset is { } from)
        {
            var page = await core.Management.ListEventsAsync(new Mgmt.ListEventsRequest { InstanceId = id, EventType = "custom", Limit = 1000, Offset = from });
            AssertFits(page, page.Events.Count);
            Assert.NotEmpty(page.Events);
            Assert.Equal((uint)sizes.Length, page.TotalCount);
            events.AddRange(page.Events.Select(e => new EventSummaryKey(e.Id, e.Subtype, e.Payload.Length)));
            eventPages++;
            offset = page.HasNextOffset ? page.NextOffset : null;
            Assert.True(offset is null || offset == from + (uint)page.Events.Count);
        }

        var checkpoints = new List<string>();
        offset = 0;
        while (offset is { } from)
        {
            var page = await core.Management.ListCheckpointsAsync(new Mgmt.ListCheckpointsRequest { InstanceId = id, Limit = 1000, Offset = from });
            AssertFits(page, page.Checkpoints.Count);
            checkpoints.AddRange(page.Checkpoints.Select(c => c.CheckpointId));
            offset = page.HasNextOffset ? page.NextOffset : null;
        }

        Assert.Equal(sizes.Length, events.Count);
        Assert.Equal(events.Count, events.Select(e => e.Id).Distinct().Count());
        Assert.Equal(Enumerable.Range(0, sizes.Length).Select(i => $"e{i}").Order(StringComparer.Ordinal), events.Select(e => e.Subtype).Order(StringComparer.Ordinal));
        Assert.All(events, e => Assert.Equal(sizes[int.Parse(e.Subtype[1..], System.Globalization.CultureInfo.InvariantCulture)], e.PayloadBytes));
        Assert.True(eventPages >= 7, $"{eventPages} pages for 420 KiB of payloads in 64 KiB answers");
        Assert.Equal(checkpointIds.Order(StringComparer.Ordinal), checkpoints.Order(StringComparer.Ordinal));
    }

    [Fact(Timeout = CoreTestBase.Timeout)]
    public async Task Due_child_starts_beyond_the_budget_are_left_leased_for_a_later_call()
    {
        await using var core = await CoreHost.StartAsync(_directory.Path, settings: new Dictionary<string, string?>
        {
            ["Runtara:Core:MaxListAnswerBytes"] = Budget.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var (parent, tenant) = (Ids.Instance(), Ids.Tenant());
        Assert.True((await core.Instance.RegisterAsync(parent, tenant)).Success);
        var children = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 8; i++)
        {
            var input = new byte[25 * 1024];
            Random.Shared.NextBytes(input);
            children.Add((await core.Instance.StartChildAsync(parent, $"child-{i}", "image", input)).ChildId);
        }

        var claimed = new List<string>();
        var calls = 0;
        Mgmt.ListDueWakeupsResponse due;
        do
        {
            due = await core.Management.ListDueWakeupsAsync(1000, leaseMs: 600_000);
            AssertFits(due, due.ChildStarts.Count + due.Wakeups.Count);
            claimed.AddRange(due.ChildStarts.Select(c => c.ChildId));
            calls++;
        }
        while (due.Truncated && calls < 20);

        Assert.False(due.Truncated);
        Assert.True(calls >= 4, $"{calls} calls for 200 KiB of inputs in 64 KiB answers");
        Assert.Equal(claimed.Count, claimed.Distinct(StringComparer.Ordinal).Count());
        Assert.True(children.SetEquals(claimed));
    }

    /// <summary>An answer stays within the budget unless it is a single item larger than the budget.</summary>
    private static void AssertFits(IMessage page, int items)
    {
        var size = new Mgmt.RpcResponse().CalculateSize() + CodedOutputStream.ComputeMessageSize(page) + 2;
        Assert.True(size <= Budget || items == 1, $"an answer of {items} items is {size} bytes; the budget is {Budget}");
    }

    private sealed record EventSummaryKey(long Id, string Subtype, int PayloadBytes);
}
