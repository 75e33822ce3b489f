import { Component, type ReactNode } from 'react';
import { ProblemAlert } from './ProblemAlert.tsx';

/** A view that throws while rendering shows the error in place of itself; the rest of the console stays. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: unknown }> {
  override state: { error: unknown } = { error: null };

  static getDerivedStateFromError(error: unknown) {
    return { error };
  }

  override render() {
    return this.state.error ? <ProblemAlert error={this.state.error} /> : this.props.children;
  }
}
