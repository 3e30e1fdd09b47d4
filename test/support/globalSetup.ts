export default async function globalSetup(): Promise<void> {
  throw new Error('integration setup is being written');
}
