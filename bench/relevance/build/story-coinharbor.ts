/** A Gibraltar crypto exchange whose customers' coins paid for a founder's friends. */
import type { Storyline } from './kit.ts';

const COINHARBOR = {
  name: 'CoinHarbor Exchange Ltd – Client Money',
  iban: 'GI21 ROCK 0000 0000 4455 610',
  bank: 'Rock Bank (Gibraltar) Ltd',
};
const ALDER = { name: 'Alder Peak Trading Ltd', iban: 'GI75 NWBK 0000 0000 7099 453', bank: 'Rock Bank (Gibraltar) Ltd' };
export const WALLET = 'bc1q9h7garjv5xk3lq2w8y0d6e4rzf3n5m7t8s2v4u';

export const coinharbor: Storyline = {
  id: 'coinharbor',
  people: [
    { name: 'Jonah Vesely', role: 'founder and chief executive, CoinHarbor Exchange' },
    { name: 'Marta Quiroga', role: 'joint liquidator' },
  ],
  companies: [
    {
      name: 'CoinHarbor Exchange Ltd',
      jurisdiction: 'gi',
      number: '119877',
      address: 'Suite 5, Europort Building 8, Gibraltar GX11 1AA',
      incorporated: '2018-02-02',
      capital: 'GBP 2,000,000',
      activity: 'Distributed ledger technology provider (licence DLT-0014, revoked 2023)',
      directors: ['Jonah Vesely (chief executive)', 'Simone Ferraro (finance)'],
      shareholders: ['Jonah Vesely — 82%', 'Harbor Seed Fund LP — 18%'],
      tags: ['coinharbor', 'vesely'],
    },
    {
      name: 'Alder Peak Trading Ltd',
      jurisdiction: 'gi',
      number: '120455',
      address: 'Suite 5, Europort Building 8, Gibraltar GX11 1AA',
      incorporated: '2018-01-29',
      capital: 'GBP 100',
      activity: 'Proprietary trading',
      directors: ['Simone Ferraro'],
      shareholders: ['Jonah Vesely — 100%'],
      tags: ['alder-peak', 'vesely', 'about:alder-peak-ownership'],
    },
  ],
  transfers: [
    {
      date: '2018-02-26',
      from: COINHARBOR,
      to: ALDER,
      amount: 12_000_000,
      currency: 'GBP',
      reference: 'INTERCOMPANY LIQUIDITY',
      note: 'Transfer out of the client money account to an affiliate with the same registered office and the same director. Client money rules prohibit this.',
      tags: ['coinharbor', 'alder-peak', 'about:customer-funds'],
    },
    {
      date: '2022-11-09',
      from: COINHARBOR,
      to: ALDER,
      amount: 31_500_000,
      currency: 'GBP',
      reference: 'MARKET MAKING COLLATERAL',
      note: 'Made on the day withdrawals were suspended. Largest outflow from client money in the account’s history.',
      tags: ['coinharbor', 'alder-peak', 'about:customer-funds', 'about:withdrawal-freeze'],
    },
  ],
  invoices: [],
  written: [
    {
      id: 'coinharbor-chat-vesely',
      type: 'email',
      title: 'Exported chat: Vesely / Ferraro, 8 November 2022',
      date: '2022-11-08',
      text: `
        Exported messages — 8 November 2022
        [22:14] Simone Ferraro: withdrawals today 48m, we have 9m in hot wallets. client account is empty after tomorrow
        [22:15] Jonah Vesely: move what's left to Alder. pause withdrawals at 6am, call it maintenance
        [22:15] Simone Ferraro: that's client money Jonah
        [22:17] Jonah Vesely: it comes back when the market turns. also sweep cold wallet ${WALLET} to the Alder wallet
        [22:18] Simone Ferraro: ok. I want this in writing
      `,
      tags: ['vesely', 'coinharbor', 'alder-peak', 'about:customer-funds', 'about:withdrawal-freeze', 'about:wallet'],
    },
    {
      id: 'coinharbor-liquidator-report',
      type: 'court-filing',
      title: "Joint liquidators' first report to creditors: CoinHarbor Exchange Ltd (in liquidation)",
      date: '2023-04-14',
      text: `
        HEADING: SUPREME COURT OF GIBRALTAR — COMPANIES (INSOLVENCY) — CLAIM 2022-COMP-118
        CoinHarbor Exchange Ltd operated a cryptocurrency exchange for about 210,000 customers. On 9 November 2022 it suspended withdrawals. It was placed in liquidation on 2 December 2022 on the petition of a group of customers.

        The liquidators have identified transfers of GBP 43.5 million from the client money account to Alder Peak Trading Ltd, a company wholly owned by the founder, Jonah Vesely. On 8 November 2022 bitcoin worth about GBP 19 million left the cold wallet ${WALLET}.

        Alder Peak used part of these funds to pay for a residential property in London bought by a Jersey company. The liquidators are pursuing recovery.

        Customers' claims total GBP 162 million. Assets recovered to date amount to GBP 21 million.
      `,
      tags: ['coinharbor', 'alder-peak', 'vesely', 'halcyon', 'about:customer-funds', 'about:wallet', 'about:coinharbor-liquidation'],
    },
    {
      id: 'coinharbor-news',
      type: 'news-clipping',
      title: 'CoinHarbor customers locked out as exchange halts withdrawals',
      date: '2022-11-10',
      text: `
        CoinHarbor customers locked out as exchange halts withdrawals

        Customers of CoinHarbor, the Gibraltar-based cryptocurrency exchange, have been unable to withdraw
        funds since early yesterday, when the platform announced "scheduled maintenance". Founder Jonah
        Vesely posted that customer assets were "safe and fully backed". The Gibraltar Financial Services
        Commission said it was "in contact with the firm".
      `,
      tags: ['coinharbor', 'vesely', 'about:withdrawal-freeze'],
    },
    {
      id: 'coinharbor-paraphrase-raid',
      type: 'memo',
      title: 'Blockchain tracing note: cold wallet outflows, 8–9 November 2022',
      date: '2023-02-02',
      text: `
        Tracing note — 2 February 2023

        Between 23:40 on 8 November and 01:10 on 9 November 2022, 1,104 BTC left the exchange's cold
        storage in three transactions and arrived at an address controlled by an affiliate of the founder.
        Over the next week the coins were sold through two brokers and the sterling proceeds paid to a
        Gibraltar account of that affiliate. No depositor has been repaid.
      `,
      tags: ['coinharbor', 'alder-peak', 'about:customer-funds', 'about:wallet', 'paraphrase:crypto-siphon'],
    },
  ],
};
