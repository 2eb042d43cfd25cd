using System;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>Runs a function on the thread that owns the PowerShell pipeline (SecretManagement needs it).</summary>
public interface IPipelineDispatcher
{
    Task<T> InvokeAsync<T>(Func<T> function, CancellationToken cancellationToken);
}
