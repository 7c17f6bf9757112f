/**
 * The signed-in API key. Kept in sessionStorage (this tab) by default, or in localStorage when the
 * user asks to stay signed in on this device. The key is only ever sent in the x-api-key header.
 */
const STORAGE_KEY = 'maskgen.apiKey';

export function storedKey(): string | null {
  return sessionStorage.getItem(STORAGE_KEY) ?? localStorage.getItem(STORAGE_KEY);
}

export function saveKey(key: string, remember: boolean): void {
  forgetKey();
  (remember ? localStorage : sessionStorage).setItem(STORAGE_KEY, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(STORAGE_KEY);
  localStorage.removeItem(STORAGE_KEY);
}
