/** The API, provided by main.ts to components that call it directly (trace preview and validation). */
import type { PvblkApi } from '@common/api';
import type { InjectionKey } from 'vue';

export const API_KEY: InjectionKey<PvblkApi> = Symbol('pvblk-api');
