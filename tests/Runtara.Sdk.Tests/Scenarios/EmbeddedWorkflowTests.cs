using Runtara.Sdk.Tests.Infrastructure;

namespace Runtara.Sdk.Tests.Scenarios;

/// <summary>The workflow suite against the embedded SQLite backend (no core).</summary>
public sealed class EmbeddedWorkflowTests(EmbeddedFixture fixture) : WorkflowScenarioTests, IClassFixture<EmbeddedFixture>
{
    protected override IWorkflowHarness Harness { get; } = fixture.Harness;
}
