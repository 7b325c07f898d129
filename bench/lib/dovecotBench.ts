export async function stopAll(): Promise<void> {}
